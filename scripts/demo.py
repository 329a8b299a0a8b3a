"""`make demo`: run examples/quickstart.py under opentelemetry-instrument and show what it produced.

No collector is running, so the distro's embedded default applies: readable spans on stderr, JSON
logs on stdout (and in a file), and an in-process /metrics endpoint, which we scrape while the
agent holds it open, as Prometheus would.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / ".demo"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scrape(url: str, deadline: float) -> str:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                text = response.read().decode()
            if "agent_os_actions_total" in text:
                return text
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"demo: {url} did not show agent_os metrics in time; see {OUT}/stderr.txt")
        time.sleep(0.2)


def section(title: str, body: str) -> None:
    print(f"\n=== {title} ===\n{body.rstrip()}")


def main() -> int:
    OUT.mkdir(exist_ok=True)
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("OTEL_", "AGENT_OS_OTEL_"))}
    env.update(
        AGENT_OS_OTEL_PROMETHEUS_PORT=str(port),
        AGENT_OS_OTEL_LOG_OUTPUT="both",
        AGENT_OS_OTEL_LOG_FILE=str(OUT / "agent.log"),
        OTEL_SERVICE_NAME="quickstart",
    )
    command = [str(BIN / "opentelemetry-instrument"), str(BIN / "python"), "examples/quickstart.py", "--hold"]
    print("$ " + " ".join(["opentelemetry-instrument", "python", "examples/quickstart.py"]))
    with open(OUT / "stdout.txt", "w") as stdout, open(OUT / "stderr.txt", "w") as stderr:
        agent = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=stdout, stderr=stderr)
        try:
            metrics = scrape(f"http://127.0.0.1:{port}/metrics", time.monotonic() + 30)
        finally:
            agent.stdin.close()
            code = agent.wait(timeout=30)
    stderr_text = (OUT / "stderr.txt").read_text()
    startup = [line for line in stderr_text.splitlines() if line.startswith("agent-os-otel:")]
    spans = [line for line in stderr_text.splitlines() if line.startswith("[span]")]
    section("start-up line (stderr)", "\n".join(startup))
    section("traces: one line per span (stderr)", "\n".join(spans))
    section(f"logs: JSON lines (stdout, and {OUT / 'agent.log'})", (OUT / "stdout.txt").read_text())
    agent_metrics = [line for line in metrics.splitlines() if line.startswith("agent_os_") and "_bucket" not in line]
    section(f"metrics: scraped from http://127.0.0.1:{port}/metrics (agent_os_*, buckets left out)",
            "\n".join(agent_metrics))
    print(f"\nEverything the agent wrote is in {OUT}/. Exit code: {code}.")
    print("Next: point it at a collector with OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317, "
          "or check your set-up with `.venv/bin/agent-os-otel doctor`.")
    return code


if __name__ == "__main__":
    sys.exit(main())
