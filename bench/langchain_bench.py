"""Cost of the LangChain/LangGraph instrumentation per agent step, side by side in one process.

One step is one ``invoke`` of a LangGraph ReAct agent on langchain-core's fake chat model: the model
asks for a tool, the tool runs, the model answers. Instrumented, that is four spans (invoke_agent,
two chat, execute_tool) plus the GenAI metrics. Reported per step: uninstrumented, ours, our overhead,
and the bare-SDK floor (the same four spans as empty ``start_span().end()`` calls on the same
TracerProvider). Rounds alternate so machine noise hits all alike; the median round is reported.

It also counts spans through the real BatchSpanProcessor, default queue size, in a tight loop: every
span we start must reach the exporter (a peer drops about a quarter of its spans this way).

    .venv/bin/python bench/langchain_bench.py [--steps 300] [--rounds 5]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from pathlib import Path

from langchain_core.tools import tool
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from agent_os_otel.instrumentation.langchain import LangChainInstrumentor  # noqa: E402
from agent_os_otel.metrics import views  # noqa: E402
from tests.support.langchain_fakes import ChatFake, ask, reply, tool_call  # noqa: E402

SPANS_PER_STEP = 4


class CountingExporter(SpanExporter):
    """Spans go through the real BatchSpanProcessor and are counted, then dropped: no network is timed."""

    def __init__(self) -> None:
        self.count = 0

    def export(self, spans):
        self.count += len(spans)
        return SpanExportResult.SUCCESS


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def agent():
    """A ReAct agent whose fake model alternates: ask for the tool, then answer; forever."""
    from langgraph.prebuilt import create_react_agent  # looked up now: instrumented, it marks agents it builds

    turns = itertools.cycle([ask(tool_call("get_weather", city="Paris")), reply("Sunny.")])
    model = ChatFake(messages=turns)
    return create_react_agent(model, [get_weather], name="forecaster")


def per_step_us(function, steps: int) -> float:
    started = time.perf_counter()
    function(steps)
    return (time.perf_counter() - started) / steps * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    exporter = CountingExporter()
    provider = TracerProvider()
    processor = BatchSpanProcessor(exporter)  # default queue (2048) and batch size, as users run it
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    metrics.set_meter_provider(MeterProvider(views=views()))
    bare = trace.get_tracer("bench")
    instrumentor = LangChainInstrumentor()

    instrumentor.instrument()  # the factory is wrapped: the agent must be built while instrumented
    graph = agent()
    instrumentor.uninstrument()
    question = {"messages": [("user", "weather in Paris?")]}

    def steps(n: int) -> None:
        for _ in range(n):
            graph.invoke(question)

    def floor_spans(n: int) -> None:
        for _ in range(n):
            bare.start_span("floor").end()

    steps(20)  # warm up
    plain, ours, floor = [], [], []
    for _ in range(args.rounds):
        plain.append(per_step_us(steps, args.steps))
        instrumentor.instrument()
        ours.append(per_step_us(steps, args.steps))
        instrumentor.uninstrument()
        floor.append(per_step_us(floor_spans, args.steps * SPANS_PER_STEP) * SPANS_PER_STEP)
    p, i, f = (statistics.median(v) for v in (plain, ours, floor))

    # Drops: a tight loop of instrumented steps, then a flush; every span must have been exported.
    processor.force_flush()
    before = exporter.count
    instrumentor.instrument()
    loop_steps = 2000
    steps(loop_steps)
    instrumentor.uninstrument()
    processor.force_flush()
    exported = exporter.count - before
    expected = loop_steps * SPANS_PER_STEP

    print(f"{args.steps} steps x {args.rounds} rounds, median round; µs per agent step "
          f"({SPANS_PER_STEP} spans: invoke_agent, 2x chat, execute_tool)\n")
    print("| uninstrumented | ours | our overhead | bare-SDK floor (same spans) | overhead / floor |")
    print("|---:|---:|---:|---:|---:|")
    print(f"| {p:.0f} | {i:.0f} | {i - p:.0f} | {f:.0f} | {(i - p) / f:.2f}x |")
    print(f"\nTight loop, default BatchSpanProcessor: {expected} spans started, {exported} exported, "
          f"{expected - exported} dropped.")


if __name__ == "__main__":
    main()
