"""Cost of the Agent OS instrumentation, side by side in one process.

For `KernelSpace.syscall` (an allowed SYS_WRITE: agent.execute + policy.evaluate spans, metrics,
one audit record) and `PolicyEngine.check_violation` (policy.evaluate span, metrics, audit record):
µs per call without and with the instrumentation, and the bare-SDK floor: what the same number of
plain `start_span().end()` calls costs on the same TracerProvider. Rounds alternate instrumented and
plain runs so machine noise hits both alike; the median round is reported.

    .venv/bin/python bench/agent_os_bench.py [--calls 20000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from agent_control_plane.kernel_space import KernelSpace, SyscallRequest, SyscallType
from agent_control_plane.policy_engine import PolicyEngine
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from agent_os_otel import audit, enable_metrics
from agent_os_otel.instrumentation.agent_os import AgentOsInstrumentor


class DropExporter(SpanExporter):
    """Spans go through the real BatchSpanProcessor, then nowhere: we time the process, not a network."""

    def export(self, spans):
        return SpanExportResult.SUCCESS


def per_call_us(function, calls: int) -> float:
    started = time.perf_counter()
    function(calls)
    return (time.perf_counter() - started) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(DropExporter(), max_queue_size=100_000))
    trace.set_tracer_provider(provider)
    enable_metrics(port=0)
    audit.enable_local_file(str(Path(tempfile.mkdtemp()) / "audit.jsonl"))
    bare = trace.get_tracer("bench")

    engine = PolicyEngine()
    engine.add_constraint("bench-agent", ["file_write"])
    kernel = KernelSpace(policy_engine=engine)
    ctx = kernel.create_agent_context("bench-agent")
    request = SyscallRequest(SyscallType.SYS_WRITE, {"path": "/mem/working/bench.txt", "data": "x"})
    loop = asyncio.new_event_loop()

    def syscalls(n: int) -> None:
        async def run():
            for _ in range(n):
                await kernel.syscall(request, ctx)
        loop.run_until_complete(run())

    def checks(n: int) -> None:
        for _ in range(n):
            engine.check_violation("bench-agent", "file_write", {"path": "/mem/working/bench.txt"})

    def spans(n: int) -> None:
        for _ in range(n):
            bare.start_span("floor").end()

    instrumentor = AgentOsInstrumentor()
    cases = {"KernelSpace.syscall": (syscalls, 2), "PolicyEngine.check_violation": (checks, 1)}
    rows = []
    for name, (function, span_count) in cases.items():
        plain, instrumented, floor = [], [], []
        function(1000)  # warm up
        for _ in range(args.rounds):
            plain.append(per_call_us(function, args.calls))
            instrumentor.instrument()
            instrumented.append(per_call_us(function, args.calls))
            instrumentor.uninstrument()
            floor.append(per_call_us(spans, args.calls * span_count) * span_count)
            provider.force_flush()
        p, i, f = (statistics.median(v) for v in (plain, instrumented, floor))
        rows.append((name, span_count, p, i, i - p, f, (i - p) / f))

    print(f"{args.calls} calls x {args.rounds} rounds, median round; µs per call\n")
    print("| call | spans/call | plain | instrumented | our overhead | bare-SDK floor (same spans) | overhead / floor |")
    print("|---|---|---|---|---|---|---|")
    for name, span_count, p, i, overhead, f, ratio in rows:
        print(f"| `{name}` | {span_count} | {p:.1f} | {i:.1f} | {overhead:.1f} | {f:.1f} | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
