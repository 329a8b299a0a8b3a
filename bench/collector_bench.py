"""Collector throughput, side by side in one run on this machine.

1. Spans/s through the full pipeline (collector/config.yaml: memory_limiter, redaction, spanmetrics,
   batch, Zipkin exporter to a real Zipkin server) versus a passthrough pipeline (otlp -> debug), both
   in the same otelcol-agentos binary, loaded by the collector project's own load generator,
   telemetrygen (installed into .tools/bin with `go install`).
2. Audit records/s through the agentos_audit exporter (hash chain, HMAC, fsync per batch), sent by
   the Python distro's own audit path over OTLP.

    .venv/bin/python bench/collector_bench.py [--traces 2000] [--audit 5000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.local_stack import COLLECTOR, Collector, Process, Zipkin, free_port, http_get, wait_until  # noqa: E402

TELEMETRYGEN = ROOT / ".tools" / "bin" / "telemetrygen"
PASSTHROUGH = """
receivers:
  otlp:
    protocols:
      grpc: {endpoint: "127.0.0.1:%(grpc)d"}
exporters:
  debug: {verbosity: basic, sampling_initial: 1, sampling_thereafter: 100000}
extensions:
  health_check: {endpoint: "127.0.0.1:%(health)d"}
service:
  extensions: [health_check]
  telemetry: {metrics: {level: none}}
  pipelines:
    traces: {receivers: [otlp], exporters: [debug]}
"""
SPANS_PER_TRACE = 5  # telemetrygen: 1 root + 4 children


def load(endpoint: str, traces: int) -> float:
    """Seconds telemetrygen takes to send `traces` traces (acknowledged) to endpoint."""
    started = time.perf_counter()
    subprocess.run([str(TELEMETRYGEN), "traces", "--otlp-endpoint", endpoint, "--otlp-insecure",
                    "--traces", str(traces), "--child-spans", str(SPANS_PER_TRACE - 1), "--workers", "1",
                    "--rate", "0"], check=True, capture_output=True)
    return time.perf_counter() - started


def passthrough(work: Path) -> Process:
    grpc, health = free_port(), free_port()
    config = work / "passthrough.yaml"
    config.write_text(PASSTHROUGH % {"grpc": grpc, "health": health})
    process = Process([str(COLLECTOR), f"--config={config}"], work / "passthrough.log")
    process.grpc = grpc
    process.start()
    wait_until(lambda: http_get(f"http://127.0.0.1:{health}/")[0] == 200, 60, "the passthrough collector")
    return process


SEND_AUDIT = """
import sys, time
from agent_os_otel import audit, configure_logging, logs
configure_logging(exporter="otlp", endpoint=sys.argv[1], output="none")
print(time.time(), flush=True)  # the first record's send time: Python's start-up is not the pipeline's cost
for n in range(int(sys.argv[2])):
    audit.record_decision(agent_id="a", action="search", resource=f"doc-{n}", decision="allow", reason="", rule_id="r")
logs.force_flush()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traces", type=int, default=2000)
    parser.add_argument("--audit", type=int, default=5000)
    args = parser.parse_args()
    for needed in (COLLECTOR, TELEMETRYGEN):
        if not needed.exists():
            raise SystemExit(f"{needed} is missing: run make collector bench-tools (make bench does)")
    work = Path(tempfile.mkdtemp(prefix="collector-bench-"))
    zipkin = Zipkin(work)
    zipkin.start()
    full = Collector(work, "bench-key", zipkin_url=f"{zipkin.url}/api/v2/spans")
    full.start()
    plain = passthrough(work)
    try:
        load(full.otlp.removeprefix("http://"), 200)  # warm both up
        load(f"127.0.0.1:{plain.grpc}", 200)
        rounds = [(load(f"127.0.0.1:{plain.grpc}", args.traces), load(full.otlp.removeprefix("http://"), args.traces))
                  for _ in range(3)]
        spans = args.traces * SPANS_PER_TRACE
        plain_rate = spans / min(p for p, _ in rounds)
        full_rate = spans / min(f for _, f in rounds)

        script = work / "send_audit.py"
        script.write_text(SEND_AUDIT)
        sender = subprocess.run([sys.executable, str(script), full.otlp, str(args.audit)], check=True,
                                capture_output=True, text=True)
        wait_until(lambda: full.audit_path.exists() and
                   sum(1 for _ in full.audit_path.open()) >= args.audit, 120, "audit records")
        audit_rate = args.audit / (time.time() - float(sender.stdout.split()[0]))
    finally:
        for process in (plain, full, zipkin):
            process.stop()
    print(f"{args.traces} traces x {SPANS_PER_TRACE} spans, best of 3 rounds; {args.audit} audit records\n")
    print("| pipeline | spans/s | relative to passthrough |")
    print("|---|---:|---:|")
    print(f"| passthrough (otlp -> debug) | {plain_rate:,.0f} | 1.00 |")
    print(f"| full (collector/config.yaml, to Zipkin) | {full_rate:,.0f} | {full_rate / plain_rate:.2f} |")
    print(f"\naudit records/s, Python distro -> OTLP -> agentos_audit (hash chain, HMAC, fsync per batch): "
          f"{audit_rate:,.0f}")


if __name__ == "__main__":
    main()
