"""`make demo`: run the examples under opentelemetry-instrument and show what they produced.

1. The quickstart with no collector: the distro's embedded default (readable spans on stderr, JSON
   logs on stdout, an in-process /metrics endpoint, scraped here as Prometheus would).
2. A LangGraph agent governed by Agent OS (scripted model, no network): its span tree with the policy
   checks under their tools, the gen_ai.* metrics, and the audit records of its decisions.
3. The Agent OS example through the full local stack, started natively on loopback: our collector,
   a Zipkin server, Jaeger and Prometheus; the summary is read back from each of them, and the collector's
   audit trail is verified. Everything stops on exit.
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts.local_stack import Collector, Jaeger, Prometheus, Zipkin, wait_until  # noqa: E402

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
    shutil.rmtree(work, ignore_errors=True)  # each run's files only (the audit file appends)
    work.mkdir(parents=True)
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


def span_tree(lines: list[str]) -> str:
    """The console exporter's one-line spans as indented trees: name, duration, status."""
    spans = []
    for line in lines:
        fields = dict(part.split("=", 1) for part in line.split(" trace_id=", 1)[1].split(" ") if "=" in part)
        spans.append((line[len("[span] "):line.index(" trace_id=")], fields["span_id"], fields["parent"],
                      fields["status"].split("(")[0]))
    children = collections.defaultdict(list)
    for span in spans:
        children[span[2]].append(span)
    out: list[str] = []

    def walk(parent: str, depth: int) -> None:
        for title, span_id, _, status in children[parent]:
            out.append(f"{'  ' * depth}{title}" + ("" if status == "UNSET" else f"  [{status}]"))
            walk(span_id, depth + 1)

    walk("-", 0)
    return "\n".join(out)


def langgraph_agent() -> int:
    code, _, stderr, _, metrics = run("examples/langgraph_agent.py", "langgraph",
                                      "gen_ai_client_operation_duration_seconds_count")
    section("traces: the LangGraph agent's span trees, policy checks under their tools (from stderr)",
            span_tree([line for line in stderr.splitlines() if line.startswith("[span]")]))
    section("metrics: gen_ai.* from /metrics (buckets left out)",
            "\n".join(line for line in metrics.splitlines() if line.startswith("gen_ai_") and "_bucket" not in line))
    records = [json.loads(line) for line in (OUT / "langgraph" / "agent-os-audit.jsonl").read_text().splitlines()]
    section("audit records of its policy decisions (agent-os-audit.jsonl)",
            "\n".join(f"{r['decision']:<5} {r['action']:<16} {r['rule_id']:<24} {r['reason'][:60]}"
                      for r in records[-8:]))
    return code


def agent_os_full_stack() -> int:
    """The Agent OS example through the full local stack: collector -> Zipkin, Prometheus, audit trail."""
    work = OUT / "stack"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    key = "demo-audit-key"
    zipkin, jaeger = Zipkin(work), Jaeger(work)
    collector = Collector(work, key, zipkin_url=f"{zipkin.url}/api/v2/spans", jaeger_endpoint=jaeger.otlp)
    prometheus = Prometheus(work, [f"127.0.0.1:{collector.prometheus}"])
    print(f"\n$ starting the local stack: Zipkin {zipkin.url}, Jaeger {jaeger.url}, collector {collector.otlp} "
          f"(OTLP), Prometheus {prometheus.url}   (logs in {work})")
    started = []
    try:
        for part in (zipkin, jaeger, collector, prometheus):
            part.start()
            started.append(part)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENT_OS_OTEL_"))}
        env.update(OTEL_EXPORTER_OTLP_ENDPOINT=collector.otlp, OTEL_SERVICE_NAME="research-team",
                   OTEL_METRIC_EXPORT_INTERVAL="1000", AGENT_OS_OTEL_PROMETHEUS_PORT="0",
                   AGENT_OS_OTEL_LOG_OUTPUT="file", AGENT_OS_OTEL_LOG_FILE=str(work / "agent.log"))
        print("$ OTEL_EXPORTER_OTLP_ENDPOINT=" + collector.otlp +
              " opentelemetry-instrument python examples/agent_os_agent.py")
        agent = subprocess.run([str(BIN / "opentelemetry-instrument"), str(BIN / "python"),
                                str(ROOT / "examples" / "agent_os_agent.py")], cwd=work, env=env,
                               capture_output=True, text=True, timeout=120)
        section("start-up line", "\n".join(l for l in agent.stderr.splitlines() if l.startswith("agent-os-otel:")))
        print(agent.stdout.strip())
        wait_until(lambda: prometheus.value("sum(agent_os_actions_total)") == 9, 60, "metrics in Prometheus")
        wait_until(lambda: zipkin.traces("research-team"), 30, "traces in Zipkin")
        traces = zipkin.traces("research-team")
        names = collections.Counter(span["name"] for trace in traces for span in trace)
        section(f"Zipkin: {len(traces)} traces ({zipkin.url}/zipkin/?serviceName=research-team)",
                "\n".join(f"{count:4d}  {name}" for name, count in sorted(names.items())))
        wait_until(lambda: jaeger.traces("research-team"), 30, "traces in Jaeger")
        section("Jaeger (over OTLP)", f"{len(jaeger.traces('research-team'))} traces: "
                f"{jaeger.url}/api/traces?service=research-team")
        queries = ["agent_os_actions_total", "agent_os_actions_blocked_total", "agent_os_violations_total",
                   "agent_os_policy_evaluations_total", "agent_os_active_agents", "agent_os_episodes_total",
                   "agent_os_memory_size_bytes", "agent_os_verifications_total",
                   "agent_os_verification_failures_total", "agent_os_policy_cache_hits_total"]
        section(f"Prometheus ({prometheus.url}/graph), sum() of each series",
                "\n".join(f"{name:<42} {prometheus.value(f'sum({name})')}" for name in queries))
        wait_until(lambda: collector.audit_path.exists() and
                   len(collector.audit_path.read_text().splitlines()) >= 9, 30, "the audit trail")
        cli = str(BIN / "agent-os-otel")
        verify = subprocess.run([cli, "audit", "verify", str(collector.audit_path), "--key-env", "AGENTOS_AUDIT_KEY"],
                                env={**os.environ, "AGENTOS_AUDIT_KEY": key}, capture_output=True, text=True)
        denied = subprocess.run([cli, "audit", "query", "--file", str(collector.audit_path), "--decision", "deny"],
                                capture_output=True, text=True)
        section(f"audit trail {collector.audit_path} (chained and signed by the collector)",
                (verify.stdout + verify.stderr).strip() + "\n" + denied.stdout.strip())
        if sys.stdin.isatty():
            input("\nThe stack is still up: browse the URLs above, then press Enter to stop it. ")
        return agent.returncode or verify.returncode
    finally:
        for part in reversed(started):
            part.stop()


def main() -> int:
    codes = [quickstart(), langgraph_agent(), agent_os_full_stack()]
    print(f"\nEverything the agents wrote is in {OUT}/. Exit codes: {codes}.")
    print("Next: point an agent at a collector with OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317, "
          "or check a set-up with `.venv/bin/agent-os-otel doctor`.")
    return max(codes)


if __name__ == "__main__":
    sys.exit(main())
