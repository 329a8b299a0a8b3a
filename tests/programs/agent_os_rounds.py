"""The Agent OS example (examples/agent_os_agent.py), run for several rounds in one process.

One run of the example takes under a second, so Prometheus would only ever see its final counts and
every rate() would be 0. Rounds a little apart make the counters and histograms grow while
Prometheus scrapes, as with agents that keep working.

argv: facts file, then optional --rounds N (default 4) and --pause SECONDS between rounds (default 1.2).
"""

import asyncio
import runpy
from pathlib import Path

from harness import finish, rounds

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "agent_os_agent.py"


def main() -> None:
    example = runpy.run_path(str(EXAMPLE), run_name="agent_os_example")
    done = 0
    for _ in rounds():
        asyncio.run(example["main"](False))
        done += 1
    finish({"rounds": done})


if __name__ == "__main__":
    main()
