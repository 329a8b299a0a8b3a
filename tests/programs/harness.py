"""What every test program does last: write its facts for the test, then hold if asked.

argv[1] is the facts file; with --hold the program keeps running (and serving /metrics) until its
standard input closes, so the test can scrape it as Prometheus would.
"""

import json
import sys


def finish(facts: dict) -> None:
    with open(sys.argv[1], "w") as out:
        json.dump(facts, out)
    if "--hold" in sys.argv:
        sys.stdout.flush()
        sys.stdin.read()
