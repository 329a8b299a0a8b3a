"""Metrics: the MeterProvider with the catalogue's Views, and the in-process /metrics endpoint.

One MeterProvider per process, created on the first `enable_metrics`; later calls only move or
reshape the /metrics endpoint, so nothing is ever read or exported twice.
"""

from __future__ import annotations

import logging
import socketserver
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from wsgiref.simple_server import WSGIRequestHandler, make_server

from opentelemetry import metrics as metrics_api
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

from . import catalogue as c
from . import exporters, resource
from . import settings as settings_mod

_log = logging.getLogger(__name__)


@dataclass
class MetricsConfig:
    """What `enable_metrics` sets up. A field left at None takes its AGENT_OS_OTEL_* setting
    (environment, config file, or default), so code only overrides what it names."""

    port: int | None = None
    path: str | None = None
    namespace: str | None = None
    include_process_metrics: bool | None = None
    include_python_metrics: bool | None = None
    custom_labels: Mapping[str, str] | None = None
    host: str | None = None
    enabled: bool | None = None
    """Serve /metrics. Push exporters below work with or without it."""
    exporter: str = "none"
    """Push exporters, comma-separated names as OTEL_METRICS_EXPORTER takes them (e.g. "otlp")."""
    endpoint: str | None = None
    """Endpoint of the push exporter; None reads OTEL_EXPORTER_OTLP_* as usual."""


# Each field that has a setting: its value comes from there unless code sets it.
_FIELD_SETTINGS = {
    "port": c.AGENT_OS_OTEL_PROMETHEUS_PORT,
    "path": c.AGENT_OS_OTEL_PROMETHEUS_PATH,
    "namespace": c.AGENT_OS_OTEL_METRICS_NAMESPACE,
    "include_process_metrics": c.AGENT_OS_OTEL_METRICS_PROCESS,
    "include_python_metrics": c.AGENT_OS_OTEL_METRICS_PYTHON,
    "custom_labels": c.AGENT_OS_OTEL_METRICS_LABELS,
    "host": c.AGENT_OS_OTEL_PROMETHEUS_HOST,
    "enabled": c.AGENT_OS_OTEL_PROMETHEUS_ENABLED,
}


def views() -> list[View]:
    """Bucket boundaries that fit each unit (the SDK default, 0..10000, fits neither seconds nor 0..1)."""
    return [
        View(instrument_name=spec.name, aggregation=ExplicitBucketHistogramAggregation(spec.buckets))
        for spec in c.METRICS
        if spec.buckets
    ]


class _Exposition:
    """The registry as scraped: namespace prefix and constant labels applied at scrape time.

    Applying them here rather than at each `add()` keeps the recording path free of dict merges.
    """

    def __init__(self, source: CollectorRegistry, namespace: str, labels: Mapping[str, str]) -> None:
        self._source, self._namespace, self._labels = source, namespace, dict(labels)

    def collect(self):
        for family in self._source.collect():
            if family.name != "target" and self._namespace:  # target_info keeps its standard name
                family.name = f"{self._namespace}_{family.name}"
                family.samples = [s._replace(name=f"{self._namespace}_{s.name}") for s in family.samples]
            if self._labels:
                family.samples = [s._replace(labels={**self._labels, **s.labels}) for s in family.samples]
            yield family


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - scrapes are not worth a log line each
        pass


class _Server(ThreadingWSGIServer):
    def server_bind(self) -> None:
        # As HTTPServer's, less its reverse DNS lookup of the bind address (socket.getfqdn), made only
        # to fill SERVER_NAME, which the /metrics app never reads: milliseconds of every start-up,
        # seconds with a slow resolver.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]
        self.setup_environ()


class _Endpoint:
    """The /metrics HTTP server on a daemon thread."""

    def __init__(self, config: MetricsConfig, registry: CollectorRegistry) -> None:
        self.use(registry)
        path = config.path

        def app(environ, start_response):
            if environ.get("PATH_INFO", "") != path:
                start_response("404 Not Found", [("Content-Type", "text/plain")])
                return [f"agent-os-otel serves metrics at {path}\n".encode()]
            return self.metrics_app(environ, start_response)

        self.server = make_server(config.host, config.port, app, _Server, handler_class=_QuietHandler)
        self.server.daemon_threads = True
        host = config.host if ":" not in config.host else f"[{config.host}]"
        self.url = f"http://{host}:{self.server.server_port}{path}"
        self.address = (config.host, config.port, path)
        threading.Thread(target=self.server.serve_forever, name="agent-os-otel-metrics", daemon=True).start()

    def use(self, registry: CollectorRegistry) -> None:
        self.metrics_app = make_wsgi_app(registry)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.provider: MeterProvider | None = None
        self.source: CollectorRegistry | None = None
        self.endpoint: _Endpoint | None = None
        self.push: tuple[str, str | None] = ("none", None)
        self.push_destinations: list[str] = []
        self.extra_collectors: list = []


_state = _State()


def enable_metrics(config: MetricsConfig | None = None, /, **fields) -> str | None:
    """Set up metrics and return the /metrics URL (None when the endpoint is disabled).

    ``enable_metrics(port=9100)`` or ``enable_metrics(MetricsConfig(...))``. Safe to call again:
    the provider is made once; a later call moves the endpoint or changes its namespace/labels.
    """
    config = settings_mod.resolve(replace(config or MetricsConfig(), **fields), _FIELD_SETTINGS)
    with _state.lock:
        if _state.provider is None:
            if not _install_provider(config):
                return None
        elif (config.exporter, config.endpoint) != _state.push and config.exporter != "none":
            _log.warning(
                "agent-os-otel: metrics push exporters are already set (%s); %r is ignored. "
                "Fix: choose exporters once, at the first enable_metrics or with OTEL_METRICS_EXPORTER.",
                _state.push[0], config.exporter,
            )
        _reshape_source(config)
        return _serve(config)


def _install_provider(config: MetricsConfig) -> bool:
    current = metrics_api.get_meter_provider()
    if isinstance(current, MeterProvider):  # set by someone else: readers cannot be added to it
        _log.warning(
            "agent-os-otel: a MeterProvider was already set by other code; agent_os metrics go to it and "
            "/metrics is not started. Fix: call enable_metrics before other OpenTelemetry setup."
        )
        return False
    _state.source = CollectorRegistry()
    prometheus = PrometheusMetricReader(registry=_state.source)
    names = [n for n in config.exporter.split(",") if n.strip() not in ("", "none", "prometheus")]
    created = exporters.create_all("metrics", names, config.endpoint)
    push = [PeriodicExportingMetricReader(e) for e in created]
    _state.push_destinations = [exporters.describe(e) for e in created]
    _state.provider = MeterProvider(
        metric_readers=[prometheus, *push],
        resource=resource.build(extra=config.custom_labels),
        views=views(),
    )
    _state.push = (config.exporter, config.endpoint)
    metrics_api.set_meter_provider(_state.provider)
    return True


def _reshape_source(config: MetricsConfig) -> None:
    for collector in _state.extra_collectors:
        _state.source.unregister(collector)
    _state.extra_collectors = []
    # each registers itself into the registry it is given
    if config.include_process_metrics:
        _state.extra_collectors.append(ProcessCollector(registry=_state.source))
    if config.include_python_metrics:
        _state.extra_collectors += [PlatformCollector(registry=_state.source), GCCollector(registry=_state.source)]


def _serve(config: MetricsConfig) -> str | None:
    registry = CollectorRegistry()
    registry.register(_Exposition(_state.source, config.namespace, config.custom_labels))
    old = _state.endpoint
    if not config.enabled:
        if old:
            old.close()
        _state.endpoint = None
        return None
    if old and old.address == (config.host, config.port, config.path) and config.port != 0:
        old.use(registry)
        return old.url
    if old:
        old.close()
    try:
        _state.endpoint = _Endpoint(config, registry)
    except OSError as exc:
        _state.endpoint = None
        _log.warning(
            "agent-os-otel: cannot serve /metrics on %s:%s (%s). Fix: set %s to a local address and %s to a free "
            "port (0 picks one), or %s=false.", config.host, config.port, exc.strerror or exc,
            c.AGENT_OS_OTEL_PROMETHEUS_HOST, c.AGENT_OS_OTEL_PROMETHEUS_PORT, c.AGENT_OS_OTEL_PROMETHEUS_ENABLED,
        )
        return None
    return _state.endpoint.url


def destinations() -> list[str]:
    """Where metrics go now: the /metrics URL, if served, and the push exporters."""
    return ([_state.endpoint.url] if _state.endpoint else []) + _state.push_destinations
