"""What every test program does last: write its facts for the test, then hold if asked.

argv[1] is the facts file; with --hold the program keeps running (and serving /metrics) until its
standard input closes, so the test can scrape it as Prometheus would.
"""

import argparse
import json
import sys
import time
from collections.abc import Iterator


def finish(facts: dict) -> None:
    with open(sys.argv[1], "w") as out:
        json.dump(facts, out)
    if "--hold" in sys.argv:
        sys.stdout.flush()
        sys.stdin.read()


def rounds() -> Iterator[int]:
    """Round numbers for a workload that keeps working while Prometheus scrapes (--rounds N, default 4,
    --pause SECONDS between rounds, default 1.2): one short burst would show only its final counts."""
    parser = argparse.ArgumentParser()
    parser.add_argument("facts")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--pause", type=float, default=1.2)
    args, _ = parser.parse_known_args()
    for round_number in range(args.rounds):
        if round_number:
            time.sleep(args.pause)
        yield round_number
