"""The Agent OS example (examples/agent_os_agent.py), run for several rounds in one process.

One run of the example takes under a second, so Prometheus would only ever see its final counts and
every rate() would be 0. Rounds a little apart make the counters and histograms grow while
Prometheus scrapes, as with agents that keep working.

argv: facts file, then optional --rounds N (default 4) and --pause SECONDS between rounds (default 1.2).
"""

import argparse
import asyncio
import runpy
import time
from pathlib import Path

from harness import finish

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "agent_os_agent.py"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("facts")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--pause", type=float, default=1.2)
    args, _ = parser.parse_known_args()
    example = runpy.run_path(str(EXAMPLE), run_name="agent_os_example")
    for round_number in range(args.rounds):
        if round_number:
            time.sleep(args.pause)
        asyncio.run(example["main"](False))
    finish({"rounds": args.rounds})


if __name__ == "__main__":
    main()
