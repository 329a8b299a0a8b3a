"""Exporters by name, for every signal, each wrapped so secrets are scrubbed before export.

Names are the ones OTEL_{TRACES,METRICS,LOGS}_EXPORTER take (any installed exporter entry point),
plus two shorthands: "jaeger" (OTLP to Jaeger, which takes OTLP natively) and "zipkin".
"""

from __future__ import annotations

import logging
import operator
import os
import sys
from collections.abc import Sequence
from urllib.parse import urlparse

from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import Link, Status, format_span_id, format_trace_id
from opentelemetry.util._importlib_metadata import entry_points

from . import redaction
from .settings import ConfigError

_log = logging.getLogger(__name__)

JAEGER_OTLP_GRPC = "http://localhost:4317"
_JAEGER_LEGACY_PORTS = {14268: "Thrift over HTTP", 14250: "model.proto gRPC", 6831: "agent UDP", 6832: "agent UDP"}


def otlp_protocol(signal: str) -> str:
    """grpc or http/protobuf, as the OTel spec reads it from the environment."""
    return (
        os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_PROTOCOL")
        or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "grpc"
    ).strip()


def check_jaeger_endpoint(endpoint: str) -> None:
    """Jaeger's legacy endpoints cannot work from Python any more: say which OTLP one to use."""
    parsed = urlparse(endpoint if "://" in endpoint else f"//{endpoint}")
    kind = _JAEGER_LEGACY_PORTS.get(parsed.port or 0)
    if kind or parsed.path.rstrip("/").endswith("/api/traces"):
        host = parsed.hostname or "localhost"
        raise ConfigError(
            f"agent-os-otel: Jaeger endpoint {endpoint!r} is Jaeger's legacy {kind or 'Thrift over HTTP'} endpoint; "
            "OpenTelemetry Python has no Thrift exporter any more. Jaeger takes OTLP natively: "
            f"use endpoint='http://{host}:4317' (OTLP gRPC) or 'http://{host}:4318/v1/traces' (OTLP HTTP)."
        )


def _entry_point_class(signal: str, name: str):
    group = f"opentelemetry_{signal}_exporter"
    found = list(entry_points(group=group, name=name))
    if not found:
        known = sorted({ep.name for ep in entry_points(group=group)} | {"none"})
        variable = {"traces": "OTEL_TRACES_EXPORTER", "metrics": "OTEL_METRICS_EXPORTER", "logs": "OTEL_LOGS_EXPORTER"}
        raise ConfigError(
            f"agent-os-otel: unknown {signal} exporter {name!r} ({variable[signal]}). "
            f"Fix: use one of {', '.join(known)}, or install the package that provides {name!r}."
        )
    return found[0].load()


def create(signal: str, name: str, endpoint: str | None = None):
    """One exporter instance for ``signal`` (traces|metrics|logs) by name; endpoint None = from env."""
    name = name.strip()
    if name == "jaeger":
        if signal != "traces":
            raise ConfigError(f"agent-os-otel: 'jaeger' is a traces exporter, not a {signal} exporter.")
        endpoint = endpoint or JAEGER_OTLP_GRPC
        check_jaeger_endpoint(endpoint)
        name = "otlp"
    kwargs = {}
    if name == "otlp":
        protocol = otlp_protocol(signal)
        name = "otlp_proto_http" if protocol.startswith("http") else "otlp_proto_grpc"
        if endpoint and name == "otlp_proto_http" and not endpoint.rstrip("/").endswith(f"/v1/{signal}"):
            endpoint = endpoint.rstrip("/") + f"/v1/{signal}"
    elif name == "zipkin":
        name = "zipkin_json"
    if endpoint:
        kwargs["endpoint"] = endpoint
    exporter = _entry_point_class(signal, name)(**kwargs)
    if signal == "traces":
        return RedactingSpanExporter(exporter)
    if signal == "logs":
        return RedactingLogExporter(exporter)
    return exporter  # metric points carry no free text beyond attribute values we set ourselves


def create_all(signal: str, names: Sequence[str], endpoint: str | None = None) -> list:
    return [create(signal, name, endpoint) for name in names if name.strip() and name.strip() != "none"]


def describe(exporter) -> str:
    """A short human description of where an exporter sends data, for the start-up line."""
    inner = getattr(exporter, "inner", exporter)
    endpoint = getattr(inner, "_endpoint", None) or getattr(inner, "endpoint", None)
    kind = type(inner).__name__
    if isinstance(inner, ReadableSpanConsoleExporter):
        return "stderr (one line per span)"
    if "OTLP" in kind:
        protocol = "http" if "proto.http" in type(inner).__module__ else "grpc"
        return f"OTLP/{protocol} {endpoint}"
    return f"{kind} {endpoint}" if endpoint else kind


# -- redaction on the way out -------------------------------------------------------------------


class _ExportGuard:
    """Our wrapping must never turn an export into a crash: errors are logged once and dropped."""

    _reported = False

    def _report(self, exc: Exception) -> None:
        if not self._reported:
            type(self)._reported = True
            _log.warning("agent-os-otel: %s failed (%s: %s); further errors are not reported",
                         type(self).__name__, type(exc).__name__, exc)


class RedactingSpanExporter(SpanExporter, _ExportGuard):
    """Scrubs span names, attributes, events, links and status text, on the export thread."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        redactor = redaction.active_redactor()
        if redactor is not None:
            try:
                spans = [_redact_span(span, redactor) for span in spans]
            except Exception as exc:  # pylint: disable=broad-except
                self._report(exc)
                return SpanExportResult.FAILURE  # never export what we could not scrub
        return self.inner.export(spans)

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


def _redact_span(span: ReadableSpan, redactor) -> ReadableSpan:
    """The same span when nothing needed scrubbing (the common case), else a scrubbed copy."""
    name = redactor.redact(span.name)
    attributes = redactor.redact_attributes(span.attributes)
    events = [_redact_event(event, redactor) for event in span.events]
    links = [_redact_link(link, redactor) for link in span.links]
    status = span.status
    if status.description:
        description = redactor.redact(status.description)
        if description is not status.description:
            status = Status(status.status_code, description)
    if (name is span.name and attributes is span.attributes and status is span.status
            and all(map(operator.is_, events, span.events)) and all(map(operator.is_, links, span.links))):
        return span
    return ReadableSpan(
        name=name, context=span.context, parent=span.parent, resource=span.resource,
        attributes=attributes, events=events, links=links, kind=span.kind, status=status,
        start_time=span.start_time, end_time=span.end_time, instrumentation_scope=span.instrumentation_scope,
    )


def _redact_event(event: Event, redactor) -> Event:
    attributes = redactor.redact_attributes(event.attributes)
    return event if attributes is event.attributes else Event(event.name, attributes, event.timestamp)


def _redact_link(link: Link, redactor) -> Link:
    attributes = redactor.redact_attributes(link.attributes)
    return link if attributes is link.attributes else Link(link.context, attributes)


class RedactingLogExporter(LogRecordExporter, _ExportGuard):
    """Scrubs log bodies and attributes (audit records included), on the export thread."""

    def __init__(self, inner: LogRecordExporter) -> None:
        self.inner = inner

    def export(self, batch):
        redactor = redaction.active_redactor()
        if redactor is not None:
            try:
                for readable in batch:
                    record = readable.log_record
                    record.body = redact_any(record.body, redactor)
                    record.attributes = redactor.redact_attributes(record.attributes)
            except Exception as exc:  # pylint: disable=broad-except
                self._report(exc)
                return LogRecordExportResult.FAILURE
        return self.inner.export(batch)

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


def redact_any(value, redactor):
    """Log bodies may be str, lists or maps (structured audit records)."""
    if isinstance(value, str):
        return redactor.redact(value)
    if isinstance(value, dict):
        return {key: redact_any(item, redactor) for key, item in redactor.redact_attributes(value).items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_any(item, redactor) for item in value)
    return value


# -- the readable local exporter ----------------------------------------------------------------


class ReadableSpanConsoleExporter(SpanExporter):
    """One line per finished span on stderr: what a person wants to see with no collector."""

    def __init__(self, stream=None) -> None:
        self._stream = stream

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        stream = self._stream or sys.stderr
        for span in spans:
            duration_ms = ((span.end_time or 0) - (span.start_time or 0)) / 1e6
            parent = format_span_id(span.parent.span_id) if span.parent else "-"
            attrs = " ".join(f"{k}={v}" for k, v in (span.attributes or {}).items())
            status = span.status.status_code.name
            if span.status.description:
                status += f"({span.status.description})"
            stream.write(
                f"[span] {span.name} {duration_ms:.2f}ms trace_id={format_trace_id(span.context.trace_id)} "
                f"span_id={format_span_id(span.context.span_id)} parent={parent} status={status}"
                f"{' ' + attrs if attrs else ''}\n"
            )
        stream.flush()
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass
