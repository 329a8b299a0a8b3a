"""One contender, one scenario, in a fresh process of the contender's own venv; prints one JSON line.

Every contender exports through the same pipeline: a TracerProvider with one BatchSpanProcessor
(default queue and batch sizes, as users run it) into an exporter that counts spans and drops them,
plus an SDK MeterProvider with an in-memory reader (nobody collects it). Only the instrumentation set
up by ``--contender`` differs:

- ``uninstrumented``: nothing; ``floor``: nothing, but ``--floor-spans`` empty ``start_span().end()``
  per step by hand (and, timed alone afterwards, the same spans without the workload);
- ``ours``: agent-os-otel's instrumentors; ``openinference``, ``openllmetry``, ``openlit``: the peers';
- ``ours --only-spans``: ours with no MeterProvider (and on agent_os no audit destination), for the
  decomposition of ours' cost into its spans and the rest.

Scenarios: ``langchain`` (one invoke of a LangGraph ReAct agent on a fake chat model: model asks for
a tool, tool, model answers), ``openai`` (one chat completion and one streamed chat completion against
the loopback OpenAI-compatible server of tests/support, at ``--openai-url`` or started in this process), ``agent_os`` (one
allowed ``KernelSpace.syscall``: policy check, memory write), ``memory`` (agent_os, RSS before/after).

    python bench/peers/workload.py --scenario langchain --contender ours --steps 300 --warmup 30

Only the standard library, the OTel SDK and the frameworks are needed: it runs in any contender's venv.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # tests/support: the fake chat model and the OpenAI-compatible server

from opentelemetry import metrics, trace  # noqa: E402
from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: E402
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult  # noqa: E402

VERSIONS = ("python", "opentelemetry-api", "opentelemetry-sdk", "langchain-core", "langchain", "langgraph", "openai",
            "agent-os-otel", "agent_os_kernel", "openinference-instrumentation-langchain",
            "openinference-instrumentation-openai", "opentelemetry-instrumentation-langchain",
            "opentelemetry-instrumentation-openai", "openlit")

BLOCKS = 5


class CountingExporter(SpanExporter):
    """The span reached the exporter: counted, then dropped (no network is timed)."""

    def __init__(self) -> None:
        self.count = 0
        self.attributes = 0  # how much each contender records: attributes over all exported spans
        self.names: dict[str, int] = {}

    def export(self, spans):
        self.count += len(spans)
        for span in spans:
            self.names[span.name] = self.names.get(span.name, 0) + 1
            self.attributes += len(span.attributes or ())
        return SpanExportResult.SUCCESS


class EndCounter(SpanProcessor):
    """Spans ended, whether or not the batch processor later drops them."""

    def __init__(self) -> None:
        self.ended = 0

    def on_end(self, span) -> None:
        self.ended += 1


def versions() -> dict[str, str]:
    found = {"python": sys.version.split()[0]}
    for name in VERSIONS[1:]:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def rss_kb() -> tuple[int, int]:
    """(current RSS, peak RSS) in KiB, from /proc/self/status (Linux)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    if "VmRSS" in fields:
        return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak, peak


# -- instrumentation, per contender and scenario --------------------------------------------------


def instrument(contender: str, scenario: str, provider: TracerProvider, only_spans: bool = False) -> None:
    if contender in ("uninstrumented", "floor"):
        return
    if contender == "ours":
        if scenario == "langchain":
            from agent_os_otel.instrumentation.langchain import LangChainInstrumentor
            LangChainInstrumentor().instrument(tracer_provider=provider)
        elif scenario == "openai":
            from agent_os_otel.instrumentation.openai import OpenAIInstrumentor
            OpenAIInstrumentor().instrument(tracer_provider=provider)
        else:  # agent_os, memory: as bench/agent_os_bench.py runs it, metrics endpoint and audit file on
            from agent_os_otel import audit, enable_metrics
            from agent_os_otel.instrumentation.agent_os import AgentOsInstrumentor
            if not only_spans:
                enable_metrics(port=0)
                audit.enable_local_file(str(Path(tempfile.mkdtemp()) / "audit.jsonl"))
            AgentOsInstrumentor().instrument(tracer_provider=provider)
    elif contender == "openinference":
        if scenario == "langchain":
            from openinference.instrumentation.langchain import LangChainInstrumentor
            LangChainInstrumentor().instrument(tracer_provider=provider)
        else:
            from openinference.instrumentation.openai import OpenAIInstrumentor
            OpenAIInstrumentor().instrument(tracer_provider=provider)
    elif contender == "openllmetry":
        if scenario == "langchain":
            from opentelemetry.instrumentation.langchain import LangchainInstrumentor
            LangchainInstrumentor().instrument(tracer_provider=provider)
        else:
            from opentelemetry.instrumentation.openai import OpenAIInstrumentor
            OpenAIInstrumentor().instrument(tracer_provider=provider)
    elif contender == "openlit":
        import openlit
        from openlit._instrumentors import MODULE_NAME_MAP

        # No otlp_endpoint: OpenLIT finds the SDK TracerProvider and MeterProvider already set (ours, with
        # the counting exporter) and uses them; only the scenario's frameworks are instrumented.
        keep = {"langchain": {"langchain", "langgraph"}, "openai": {"openai"}}[scenario]
        openlit.init(disabled_instrumentors=[name for name in MODULE_NAME_MAP if name not in keep])
    else:
        raise SystemExit(f"unknown contender {contender!r}")


# -- workloads: each returns step(), one unit of work ----------------------------------------------


def langchain_step():
    import itertools

    from langchain_core.tools import tool
    from langgraph.prebuilt import create_react_agent  # looked up after instrumenting: ours wraps it

    from tests.support.langchain_fakes import ChatFake, ask, reply, tool_call

    @tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"sunny in {city}"

    turns = itertools.cycle([ask(tool_call("get_weather", city="Paris")), reply("Sunny.")])
    graph = create_react_agent(ChatFake(messages=turns), [get_weather], name="forecaster")
    question = {"messages": [("user", "weather in Paris?")]}
    return lambda: graph.invoke(question)


def openai_step(base_url: str | None):
    from openai import OpenAI

    if base_url is None:  # no server given: one in this process (a daemon thread; it dies with the process)
        from tests.support.openai_server import OpenAIServer
        base_url = OpenAIServer().__enter__().base_url
    client = OpenAI(base_url=base_url, api_key="test-key", max_retries=0)
    messages = [{"role": "user", "content": "weather in Paris?"}]

    def step():
        client.chat.completions.create(model="gpt-4o-mini", messages=messages)
        for _ in client.chat.completions.create(model="gpt-4o-mini", messages=messages, stream=True,
                                                stream_options={"include_usage": True}):
            pass
    return step


def agent_os_step():
    import asyncio

    from bench.agent_os_bench import bench_kernel  # the same kernel as the single-process bench

    _, kernel, ctx, request = bench_kernel()
    loop = asyncio.new_event_loop()
    return lambda: loop.run_until_complete(kernel.syscall(request, ctx))


WORKLOADS = {"langchain": langchain_step, "openai": openai_step, "agent_os": agent_os_step, "memory": agent_os_step}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=sorted(WORKLOADS), required=True)
    parser.add_argument("--contender", required=True)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--floor-spans", type=int, default=0, help="floor: empty spans per step, by hand")
    parser.add_argument("--openai-url", help="openai: the OpenAI-compatible server to call (default: one started "
                        "in this process, whose CPU time is then counted too)")
    parser.add_argument("--only-spans", action="store_true",
                        help="ours with no MeterProvider (and on agent_os no audit destination): its spans alone")
    args = parser.parse_args()

    exporter, ended = CountingExporter(), EndCounter()
    provider = TracerProvider()
    provider.add_span_processor(ended)
    processor = BatchSpanProcessor(exporter)  # default queue (2048) and batch size, as users run it
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    views = []
    if args.contender == "ours" and args.scenario in ("langchain", "openai"):
        from agent_os_otel.metrics import views as our_views
        views = our_views()
    if args.only_spans and args.contender != "ours":
        raise SystemExit("--only-spans is for --contender ours")
    if not args.only_spans and not (args.contender == "ours" and args.scenario in ("agent_os", "memory")):
        # (ours on agent_os: enable_metrics sets it; --only-spans: none, so metrics go to the API's no-op)
        metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()], views=views))
    instrument(args.contender, args.scenario, provider, args.only_spans)

    work = WORKLOADS[args.scenario](args.openai_url) if args.scenario == "openai" else WORKLOADS[args.scenario]()
    if args.contender == "floor":
        bare, n_spans, workload = trace.get_tracer("floor"), args.floor_spans, work

        def work():
            workload()
            for _ in range(n_spans):
                bare.start_span("floor").end()

    for _ in range(args.warmup):
        work()
    processor.force_flush()
    exported_before, ended_before, attributes_before = exporter.count, ended.ended, exporter.attributes
    rss_before, _ = rss_kb()
    # Timed in blocks; the cheapest block is reported (as timeit does): what a neighbour process or a
    # stall costs is noise, not the instrumentation's cost; all blocks are in the JSON. The clock is the
    # process's CPU time: every thread's work is charged (span batching, our writer threads, and in the
    # openai scenario the loopback server when it runs in this process), time spent waiting is not, so
    # a busy machine moves it far less than wall time. Each block ends with the span processor flushed,
    # so it pays for the export work its own spans caused.
    blocks, walls, size = [], [], max(1, args.steps // BLOCKS)
    for _ in range(BLOCKS):
        started, cpu_started = time.perf_counter(), time.process_time()
        for _ in range(size):
            work()
        processor.force_flush()
        blocks.append((time.process_time() - cpu_started) / size * 1e6)
        walls.append((time.perf_counter() - started) / size * 1e6)
    args.steps = size * BLOCKS
    rss_after, peak = rss_kb()
    processor.force_flush()
    result = {"scenario": args.scenario, "contender": args.contender, "steps": args.steps,
              "us_per_step": min(blocks), "blocks_us_per_step": blocks, "wall_blocks_us_per_step": walls,
              "spans_ended": ended.ended - ended_before, "spans_exported": exporter.count - exported_before,
              "rss_kb_before": rss_before, "rss_kb_after": rss_after, "peak_rss_kb": peak,
              "span_names": exporter.names, "versions": versions()}
    result["spans_per_step"] = result["spans_exported"] / args.steps
    result["attributes_per_span"] = (exporter.attributes - attributes_before) / max(1, result["spans_exported"])
    result["dropped"] = result["spans_ended"] - result["spans_exported"]
    if args.contender == "floor" and args.floor_spans:  # the same spans alone, without the workload
        started = time.process_time()
        for _ in range(args.steps):
            for _ in range(n_spans):
                bare.start_span("floor").end()
        processor.force_flush()
        result["floor_spans_us_per_step"] = (time.process_time() - started) / args.steps * 1e6
    print(json.dumps(result))
    sys.stdout.flush()
    os._exit(0)  # no atexit hooks: some instrumentations flush or phone home at exit


if __name__ == "__main__":
    main()
