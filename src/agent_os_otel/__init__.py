"""agent-os-otel: observability for AI agents, built on OpenTelemetry.

Zero-code: ``opentelemetry-instrument python agent.py``. In code::

    from agent_os_otel import enable_metrics, enable_tracing, configure_logging, tracer

    enable_metrics(port=9464)
    enable_tracing(service_name="my-agent", exporter="otlp", endpoint="http://localhost:4317")
    configure_logging(LoggingConfig(format="json"))
    with tracer.start_span("plan") as span:
        span.set_attribute("agent_os.agent.id", "planner")
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# Imported eagerly, unlike the rest: the name is also its module's, and a submodule imported first
# would take the package attribute, so `from agent_os_otel import instruments` would give the module.
from .instruments import instruments
from .version import __version__

if TYPE_CHECKING:
    from .logs import LoggingConfig, configure_logging
    from .metrics import MetricsConfig, enable_metrics
    from .redaction import configure_redaction
    from .settings import ConfigError
    from .tracing import TracingConfig, enable_tracing, tracer

# name -> the module that defines it. Imported on first use (PEP 562), so that importing the package,
# or one module of it (the distro, under opentelemetry-instrument), does not import the SDK parts a
# run may never use.
_LAZY = {
    "ConfigError": "settings",
    "LoggingConfig": "logs",
    "configure_logging": "logs",
    "MetricsConfig": "metrics",
    "enable_metrics": "metrics",
    "configure_redaction": "redaction",
    "TracingConfig": "tracing",
    "enable_tracing": "tracing",
    "tracer": "tracing",
}

__all__ = sorted([*_LAZY, "__version__", "instruments"])


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
