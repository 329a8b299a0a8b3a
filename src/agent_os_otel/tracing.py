"""Tracing: the TracerProvider, its exporters, sampler and propagators, and `tracer`.

One TracerProvider per process, made on the first `enable_tracing`; a later call swaps the
exporters, the sample rate and the propagators in place, so spans are never exported twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace

from opentelemetry import propagate, trace
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.resources import SERVICE_NAME
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider, sampling
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.util._importlib_metadata import entry_points

from . import catalogue as c
from . import exporters, resource
from .settings import ConfigError
from .version import __version__

_log = logging.getLogger(__name__)


@dataclass
class TracingConfig:
    """What `enable_tracing` sets up. None means "as the OTEL_* environment says"."""

    service_name: str | None = None
    exporter: str = "otlp"
    """otlp | jaeger (OTLP to Jaeger) | zipkin | console | none, or any OTEL_TRACES_EXPORTER name; comma-separated."""
    endpoint: str | None = None
    sample_rate: float | None = 1.0
    """Fraction of new traces kept (parent-based: children follow their parent). None: OTEL_TRACES_SAMPLER."""
    propagators: Sequence[str] | None = ("tracecontext", "baggage")
    """Propagator names as OTEL_PROPAGATORS takes them. None: leave the global propagator as it is."""


class _SwitchableSampler(sampling.Sampler):
    """Lets a later enable_tracing change the sample rate of tracers that already exist."""

    def __init__(self, inner: sampling.Sampler) -> None:
        self.inner = inner

    def should_sample(self, *args, **kwargs):
        return self.inner.should_sample(*args, **kwargs)

    def get_description(self) -> str:
        return self.inner.get_description()


class _ExportProcessors(SpanProcessor):
    """The batch processors of the current exporters, replaced whole when the exporters change."""

    def __init__(self) -> None:
        self.processors: tuple[SpanProcessor, ...] = ()

    def on_end(self, span) -> None:
        for processor in self.processors:
            processor.on_end(span)

    def shutdown(self) -> None:
        for processor in self.processors:
            processor.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return all(processor.force_flush(timeout_millis) for processor in self.processors)


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.provider: TracerProvider | None = None
        self.sampler: _SwitchableSampler | None = None
        self.export = _ExportProcessors()
        self.exporting: tuple[str, str | None] | None = None
        self.destinations: list[str] = []


_state = _State()


def _sampler(rate: float | None) -> sampling.Sampler:
    if rate is None:
        return sampling._get_from_env_or_default()  # pylint: disable=protected-access - the SDK's env rule
    if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0.0 <= rate <= 1.0:
        raise ConfigError(
            f"agent-os-otel: TracingConfig.sample_rate={rate!r} is invalid. Fix: pass a number from 0.0 to 1.0."
        )
    return sampling.ParentBased(sampling.TraceIdRatioBased(rate))


def _propagator(names: Sequence[str]):
    found = []
    for name in names:
        matches = list(entry_points(group="opentelemetry_propagator", name=name.strip()))
        if not matches:
            known = ", ".join(sorted(ep.name for ep in entry_points(group="opentelemetry_propagator")))
            raise ConfigError(
                f"agent-os-otel: propagator {name!r} is unknown. Fix: use one of {known} "
                "(or install its package, e.g. opentelemetry-propagator-b3 for b3)."
            )
        found.append(matches[0].load()())
    return CompositePropagator(found)


def enable_tracing(config: TracingConfig | None = None, /, **fields) -> list[str]:
    """Set up tracing; returns where spans go. ``enable_tracing(service_name=..., exporter="zipkin")``.

    Here "console" means readable lines on stderr; OTEL_TRACES_EXPORTER=console keeps the SDK's meaning.
    """
    config = replace(config or TracingConfig(), **fields)
    names = [c.CONSOLE_SPAN_EXPORTER if n.strip() == "console" else n for n in config.exporter.split(",")]
    return apply(replace(config, exporter=",".join(names)))


def apply(config: TracingConfig) -> list[str]:
    """enable_tracing with exporter names exactly as OTEL_TRACES_EXPORTER takes them (the configurator's entry)."""
    sampler = _sampler(config.sample_rate)
    propagator = _propagator(config.propagators) if config.propagators is not None else None
    names = [n.strip() for n in config.exporter.split(",") if n.strip() not in ("", "none")]
    with _state.lock:
        if _state.provider is None and not _install_provider(config, sampler):
            return []
        if _state.sampler is not None:
            _state.sampler.inner = sampler
        wanted = (",".join(names), config.endpoint)
        if wanted != _state.exporting:
            new = exporters.create_all("traces", names, config.endpoint)  # may raise: nothing changed yet
            old, _state.export.processors = _state.export.processors, tuple(BatchSpanProcessor(e) for e in new)
            for processor in old:
                processor.shutdown()  # flushes what it holds: nothing is lost, nothing sent twice
            _state.exporting = wanted
            _state.destinations = [exporters.describe(e) for e in new]
        if propagator is not None:
            propagate.set_global_textmap(propagator)
        _check_service_name(config.service_name)
        return list(_state.destinations)


def _install_provider(config: TracingConfig, sampler: sampling.Sampler) -> bool:
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):  # someone else's: adding our exporters would double-export
        _log.warning(
            "agent-os-otel: a TracerProvider was already set by other code; spans go where it sends them. "
            "Fix: call enable_tracing before other OpenTelemetry setup, or drop the other setup."
        )
        return False
    _state.sampler = _SwitchableSampler(sampler)
    _state.provider = TracerProvider(sampler=_state.sampler, resource=resource.build(config.service_name))
    _state.provider.add_span_processor(_state.export)
    trace.set_tracer_provider(_state.provider)
    return True


def _check_service_name(service_name: str | None) -> None:
    actual = _state.provider.resource.attributes.get(SERVICE_NAME)
    if service_name and service_name != actual:
        _log.warning(
            "agent-os-otel: service name %r ignored: the TracerProvider already runs as %r. "
            "Fix: pass service_name in the first enable_tracing, or set OTEL_SERVICE_NAME.", service_name, actual,
        )


class _ActiveSpan:
    """A started span; as a context manager it is the current span, so spans inside are its children."""

    def __init__(self, span: trace.Span) -> None:
        self._span = span
        self._scope = None

    def __enter__(self) -> trace.Span:
        self._scope = trace.use_span(self._span, end_on_exit=True, record_exception=True, set_status_on_exception=True)
        return self._scope.__enter__()

    def __exit__(self, exc_type, exc, tb):
        return self._scope.__exit__(exc_type, exc, tb)

    def __getattr__(self, name):  # used without `with`: behaves as the span itself
        return getattr(self._span, name)


class AgentTracer:
    """``with tracer.start_span("op") as span: span.set_attribute(...)`` gives a properly parented span."""

    def __init__(self) -> None:
        self._tracer = trace.get_tracer(c.SCOPE_NAME, __version__)

    def start_span(self, name: str, **kwargs) -> _ActiveSpan:
        return _ActiveSpan(self._tracer.start_span(name, **kwargs))

    def start_as_current_span(self, name: str, **kwargs):
        return self._tracer.start_as_current_span(name, **kwargs)


tracer = AgentTracer()
