"""agent-os-otel: observability for AI agents, built on OpenTelemetry.

Zero-code: ``opentelemetry-instrument python agent.py``. In code::

    from agent_os_otel import enable_metrics, enable_tracing, configure_logging, tracer

    enable_metrics(port=9464)
    enable_tracing(service_name="my-agent", exporter="otlp", endpoint="http://localhost:4317")
    configure_logging(LoggingConfig(format="json"))
    with tracer.start_span("plan") as span:
        span.set_attribute("agent_os.agent.id", "planner")
"""

from .instruments import instruments
from .logs import LoggingConfig, configure_logging
from .metrics import MetricsConfig, enable_metrics
from .redaction import configure_redaction
from .settings import ConfigError
from .tracing import TracingConfig, enable_tracing, tracer
from .version import __version__

__all__ = [
    "ConfigError",
    "LoggingConfig",
    "MetricsConfig",
    "TracingConfig",
    "__version__",
    "configure_logging",
    "configure_redaction",
    "enable_metrics",
    "enable_tracing",
    "instruments",
    "tracer",
]
