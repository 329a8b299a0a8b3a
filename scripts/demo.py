"""`make demo`: run the examples under opentelemetry-instrument and show what they produced.

No collector is running, so the distro's embedded default applies: readable spans on stderr, JSON
logs on stdout (and in a file), an in-process /metrics endpoint (scraped here while the agent holds
it open, as Prometheus would) and, for Agent OS, a local audit file.
"""

from __future__ import annotations

import collections
import os
import re
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


def scrape(url: str, deadline: float, wanted: str) -> str:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                text = response.read().decode()
            if wanted in text:
                return text
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"demo: {url} did not show {wanted} in time; see {OUT}")
        time.sleep(0.2)


def section(title: str, body: str) -> None:
    print(f"\n=== {title} ===\n{body.rstrip()}")


def run(example: str, name: str, wanted: str) -> tuple[int, str, str, str, str]:
    """Run one example with --hold, scrape /metrics once it has done its work, then let it exit."""
    work = OUT / name
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENT_OS_OTEL_"))}
    env.update(AGENT_OS_OTEL_PROMETHEUS_PORT=str(port), AGENT_OS_OTEL_LOG_OUTPUT="both",
               AGENT_OS_OTEL_LOG_FILE=str(work / "agent.log"), OTEL_SERVICE_NAME=name)
    command = [str(BIN / "opentelemetry-instrument"), str(BIN / "python"), str(ROOT / example), "--hold"]
    print(f"\n$ opentelemetry-instrument python {example}      (output kept in {work})")
    with open(work / "stdout.txt", "w") as stdout, open(work / "stderr.txt", "w") as stderr:
        agent = subprocess.Popen(command, cwd=work, env=env, stdin=subprocess.PIPE, stdout=stdout, stderr=stderr)
        try:
            metrics = scrape(f"http://127.0.0.1:{port}/metrics", time.monotonic() + 60, wanted)
        finally:
            agent.stdin.close()
            code = agent.wait(timeout=60)
    stderr_text = (work / "stderr.txt").read_text()
    startup = "\n".join(line for line in stderr_text.splitlines() if line.startswith("agent-os-otel:"))
    return code, startup, stderr_text, (work / "stdout.txt").read_text(), metrics


def agent_os_lines(metrics: str) -> list[str]:
    return [line for line in metrics.splitlines() if line.startswith("agent_os_") and "_bucket" not in line]


def quickstart() -> int:
    code, startup, stderr, stdout, metrics = run("examples/quickstart.py", "quickstart", "agent_os_actions_total")
    section("start-up line (stderr)", startup)
    section("traces: one line per span (stderr)", "\n".join(l for l in stderr.splitlines() if l.startswith("[span]")))
    section("logs: JSON lines (stdout and agent.log)", stdout)
    section("metrics scraped from /metrics (agent_os_*, buckets left out)", "\n".join(agent_os_lines(metrics)))
    return code


def agent_os() -> int:
    code, startup, stderr, stdout, metrics = run("examples/agent_os_agent.py", "agent-os",
                                                 "agent_os_verifications_total")
    section("start-up line (stderr)", startup)
    spans = collections.Counter(m.group(1) for m in re.finditer(r"^\[span\] (\S+)", stderr, re.M))
    section("spans by name", "\n".join(f"{count:4d}  {name}" for name, count in sorted(spans.items())))
    section("a denied action, as its spans show it",
            "\n".join(l for l in stderr.splitlines() if "agent_os.blocked=True" in l or "signal=SIGPOLICY" in l))
    totals: dict[str, float] = collections.defaultdict(float)
    for line in agent_os_lines(metrics):
        name, value = re.sub(r"\{.*\}", "", line).split()
        totals[name] += float(value)
    section("the agent_os_* catalogue, summed over labels (from /metrics)",
            "\n".join(f"{name:<52} {value:g}" for name, value in sorted(totals.items())))
    audit = subprocess.run([str(BIN / "agent-os-otel"), "audit", "query", "--decision", "deny", "--since", "24h"],
                           cwd=OUT / "agent-os", capture_output=True, text=True)
    section("audit: agent-os-otel audit query --decision deny --since 24h", audit.stdout + audit.stderr)
    print(stdout.splitlines()[-1] if stdout else "")
    return code


def main() -> int:
    codes = [quickstart(), agent_os()]
    print(f"\nEverything the agents wrote is in {OUT}/. Exit codes: {codes}.")
    print("Next: point an agent at a collector with OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317, "
          "or check a set-up with `.venv/bin/agent-os-otel doctor`.")
    return max(codes)


if __name__ == "__main__":
    sys.exit(main())
