"""Make (or keep) one virtualenv per peer under bench/.venvs/<peer>, so the peers' pins cannot clash.

Each venv gets bench/peers/<peer>.txt with bench/peers/constraints.txt (the framework and OTel SDK
versions of this project's .venv); a ``# unpin: name`` line in <peer>.txt drops that package from the
constraints for that peer (it forces another version; latest.json records what each contender ran).
Idempotent: a venv is rebuilt only when its requirements, the constraints or the Python version change.

    python bench/peers/setup_venvs.py [peer ...]
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import time
import venv
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENVS = Path(os.environ.get("BENCH_VENVS") or HERE.parent / ".venvs")  # override: to time a cold install
PEERS = ("openinference", "openllmetry", "openlit")


def _name(line: str) -> str:
    return re.split(r"[<>=!~\[; ]", line.strip(), maxsplit=1)[0].lower()


def setup(peer: str) -> float:
    """Seconds spent (0 when already up to date)."""
    requirements = (HERE / f"{peer}.txt").read_text()
    unpinned = {n.strip().lower() for line in requirements.splitlines() if line.startswith("# unpin:")
                for n in line.split(":", 1)[1].split(",")}
    constraints = "".join(line + "\n" for line in (HERE / "constraints.txt").read_text().splitlines()
                          if line.strip() and not line.startswith("#") and _name(line) not in unpinned)
    digest = hashlib.sha256(f"{sys.version}\n{requirements}\n{constraints}".encode()).hexdigest()
    target = VENVS / peer
    stamp = target / ".installed"
    if stamp.exists() and stamp.read_text() == digest:
        return 0.0
    started = time.perf_counter()
    print(f"bench: installing {peer} into {target} ...", flush=True)
    venv.create(target, with_pip=True, clear=True)
    (target / "constraints.txt").write_text(constraints)
    python = target / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-r", str(HERE / f"{peer}.txt"), "-c", str(target / "constraints.txt")], check=True)
    stamp.write_text(digest)
    took = time.perf_counter() - started
    print(f"bench: {peer} ready in {took:.0f} s", flush=True)
    return took


def main() -> None:
    peers = sys.argv[1:] or PEERS
    unknown = set(peers) - set(PEERS)
    if unknown:
        raise SystemExit(f"unknown peer(s) {sorted(unknown)}: choose from {PEERS}")
    VENVS.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(len(peers)) as pool:  # mostly downloads and unpacking: in parallel
        list(pool.map(setup, peers))


if __name__ == "__main__":
    main()
