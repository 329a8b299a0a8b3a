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


def bench_kernel():
    """The kernel every Agent OS benchmark drives (here and bench/peers/workload.py): one agent allowed to
    write files, and an allowed SYS_WRITE request. Returns (policy engine, kernel, agent context, request)."""
    engine = PolicyEngine()
    engine.add_constraint("bench-agent", ["file_write"])
    kernel = KernelSpace(policy_engine=engine)
    ctx = kernel.create_agent_context("bench-agent")
    request = SyscallRequest(SyscallType.SYS_WRITE, {"path": "/mem/working/bench.txt", "data": "x"})
    return engine, kernel, ctx, request


def per_call_us(function, calls: int, flush) -> tuple[float, float]:
    """(wall µs, process CPU µs) per call. CPU time counts every thread of the process, so the work our
    background threads do (audit file writer, span batching) is charged to the case that caused it,
    and it moves less than wall time when other programs share the machine. The flush at the end
    makes each case pay for its own queued background work."""
    started, cpu = time.perf_counter(), time.process_time()
    function(calls)
    flush()
    return (time.perf_counter() - started) / calls * 1e6, (time.process_time() - cpu) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(DropExporter(), max_queue_size=100_000))
    trace.set_tracer_provider(provider)
    enable_metrics(port=0)
    from agent_os_otel import logs  # noqa: PLC0415

    audit.enable_local_file(str(Path(tempfile.mkdtemp()) / "audit.jsonl"))
    bare = trace.get_tracer("bench")

    engine, kernel, ctx, request = bench_kernel()
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

    def flush() -> None:
        provider.force_flush()
        logs.logger_provider().force_flush()

    instrumentor = AgentOsInstrumentor()
    cases = {"KernelSpace.syscall": (syscalls, 2), "PolicyEngine.check_violation": (checks, 1)}
    rows = []
    for name, (function, span_count) in cases.items():
        plain, instrumented, floor = [], [], []
        function(1000)  # warm up
        for _ in range(args.rounds):
            plain.append(per_call_us(function, args.calls, flush))
            instrumentor.instrument()
            instrumented.append(per_call_us(function, args.calls, flush))
            instrumentor.uninstrument()
            floor.append(tuple(t * span_count for t in per_call_us(spans, args.calls * span_count, flush)))
        for clock, label in ((0, "wall"), (1, "CPU")):
            p, i, f = (statistics.median(v[clock] for v in values) for values in (plain, instrumented, floor))
            rows.append((name, label, span_count, p, i, i - p, f, (i - p) / f))

    print(f"{args.calls} calls x {args.rounds} rounds, median round; µs per call (wall time, and CPU time of all "
          "threads)\n")
    print("| call | clock | spans/call | plain | instrumented | our overhead | bare-SDK floor (same spans) "
          "| overhead / floor |")
    print("|---|---|---|---|---|---|---|---|")
    for name, label, span_count, p, i, overhead, f, ratio in rows:
        print(f"| `{name}` | {label} | {span_count} | {p:.1f} | {i:.1f} | {overhead:.1f} | {f:.1f} | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
