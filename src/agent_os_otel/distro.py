"""The `opentelemetry_distro` entry point: defaults only, so the user's environment always wins.

The embedded-default rule lives here, and it is the whole rule: if no OTLP endpoint variable is
set, nothing can be listening for OTLP, so traces default to readable lines on stderr and metrics
and logs to local outputs (the /metrics endpoint, stdout); once any OTLP endpoint is set, every
signal defaults to OTLP. Either way the configurator prints one line saying where signals go.
"""

from __future__ import annotations

import os

from opentelemetry.instrumentation.distro import BaseDistro
from opentelemetry.instrumentation.environment_variables import OTEL_PYTHON_CONFIGURATOR

from .catalogue import CONSOLE_SPAN_EXPORTER, DISTRO_NAME, EXPORTER_VARS
from .settings import collector_configured

EMBEDDED_EXPORTERS = {"traces": CONSOLE_SPAN_EXPORTER, "metrics": "none", "logs": "none"}
COLLECTOR_EXPORTERS = {"traces": "otlp", "metrics": "otlp", "logs": "otlp"}


def default_exporters() -> dict[str, str]:
    return COLLECTOR_EXPORTERS if collector_configured() else EMBEDDED_EXPORTERS


class AgentOsDistro(BaseDistro):
    def _configure(self, **kwargs) -> None:
        os.environ.setdefault(OTEL_PYTHON_CONFIGURATOR, DISTRO_NAME)
        for signal, name in default_exporters().items():
            os.environ.setdefault(EXPORTER_VARS[signal], name)
