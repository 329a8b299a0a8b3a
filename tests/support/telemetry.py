"""Run a Python program in a fresh interpreter with in-memory OTel exporters, and get back what it
recorded: spans (with parents, scope, schema URL, events), log records, and metric points.

Each program gets its own process so global providers and patched frameworks never leak between tests.
``instrument`` names the instrumentors (entry-point names) the program turns on before its body runs.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from tests.support.run import run_python

_PRELUDE = """
import asyncio, json, os, sys
from opentelemetry import trace, _logs, metrics
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.util._importlib_metadata import entry_points

_spans, _records, _reader = InMemorySpanExporter(), InMemoryLogRecordExporter(), InMemoryMetricReader()
_tp = TracerProvider(); _tp.add_span_processor(SimpleSpanProcessor(_spans)); trace.set_tracer_provider(_tp)
_lp = LoggerProvider(); _lp.add_log_record_processor(SimpleLogRecordProcessor(_records)); _logs.set_logger_provider(_lp)
from agent_os_otel.metrics import views  # the catalogue's bucket boundaries, as the distro sets them
metrics.set_meter_provider(MeterProvider(metric_readers=[_reader], views=views()))

INSTRUMENTORS = {}
for _ep in entry_points(group="opentelemetry_instrumentor"):
    if _ep.name in __INSTRUMENT__ and _ep.value.startswith(__SOURCE__):
        INSTRUMENTORS[_ep.name] = _ep.load()()
        INSTRUMENTORS[_ep.name].instrument()


def _value(v):
    return list(v) if isinstance(v, tuple) else v


def _report():
    points = []
    for rm in _reader.get_metrics_data().resource_metrics if _reader.get_metrics_data() else []:
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                for p in m.data.data_points:
                    point = {"name": m.name, "unit": m.unit, "attrs": dict(p.attributes)}
                    if hasattr(p, "bucket_counts"):
                        point.update(count=p.count, sum=p.sum, bounds=list(p.explicit_bounds))
                    else:
                        point["value"] = p.value
                    points.append(point)
    spans = []
    for s in _spans.get_finished_spans():
        spans.append({
            "name": s.name, "id": s.context.span_id, "trace": s.context.trace_id,
            "parent": s.parent.span_id if s.parent else None, "kind": s.kind.name,
            "scope": s.instrumentation_scope.name, "schema_url": s.instrumentation_scope.schema_url,
            "status": s.status.status_code.name, "attrs": {k: _value(v) for k, v in s.attributes.items()},
            "events": [{"name": e.name, "attrs": {k: _value(v) for k, v in (e.attributes or {}).items()}}
                       for e in s.events],
            "start": s.start_time, "end": s.end_time,
        })
    logs = [{"event_name": r.log_record.event_name, "body": r.log_record.body,
             "attrs": dict(r.log_record.attributes or {}),
             "span_id": r.log_record.span_id, "trace_id": r.log_record.trace_id}
            for r in _records.get_finished_logs()]
    return {"spans": spans, "logs": logs, "metrics": points}


import atexit
atexit.register(lambda: print("\\n@@TELEMETRY@@" + json.dumps(_report(), default=str)))
"""


def run_program(tmp_path: Path, body: str, instrument: tuple[str, ...] = ("langchain", "openai", "openai_agents"),
                source: str = "agent_os_otel", timeout: float = 120, **env: str) -> dict:
    """Run ``body`` with our instrumentors ``instrument`` on; returns {"spans", "logs", "metrics",
    "stdout", "stderr"}. ``source`` picks whose entry points to load ("" loads every vendor's)."""
    prelude = _PRELUDE.replace("__INSTRUMENT__", repr(tuple(instrument))).replace("__SOURCE__", repr(source))
    result = run_python(tmp_path, prelude + textwrap.dedent(body), timeout=timeout, **env)
    assert result.returncode == 0, f"program failed:\n{result.stderr[-4000:]}"
    marker = result.stdout.rindex("@@TELEMETRY@@")
    telemetry = json.loads(result.stdout[marker + len("@@TELEMETRY@@"):])
    telemetry["stdout"] = result.stdout[:marker]
    telemetry["stderr"] = result.stderr
    return telemetry


def children(telemetry: dict, parent: dict) -> list[dict]:
    return [s for s in telemetry["spans"] if s["parent"] == parent["id"]]


def named(telemetry: dict, name: str) -> list[dict]:
    return [s for s in telemetry["spans"] if s["name"] == name]


def tree(telemetry: dict) -> list[str]:
    """The span tree as indented names, in start order: easy to assert on and to read in a failure."""
    by_parent: dict = {}
    for s in sorted(telemetry["spans"], key=lambda s: s["start"]):
        by_parent.setdefault(s["parent"], []).append(s)
    ids = {s["id"] for s in telemetry["spans"]}
    lines: list[str] = []

    def walk(span: dict, depth: int) -> None:
        lines.append("  " * depth + span["name"])
        for child in by_parent.get(span["id"], []):
            walk(child, depth + 1)

    for root in sorted((s for s in telemetry["spans"] if s["parent"] not in ids), key=lambda s: s["start"]):
        walk(root, 0)
    return lines
