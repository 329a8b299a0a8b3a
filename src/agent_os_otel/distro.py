"""The `opentelemetry_distro` entry point: defaults only, so the user's environment always wins.

The embedded-default rule lives here, and it is the whole rule: if no OTLP endpoint variable is
set, nothing can be listening for OTLP, so traces default to readable lines on stderr and metrics
and logs to local outputs (the /metrics endpoint, stdout); once any OTLP endpoint is set, every
signal defaults to OTLP. Either way the configurator prints one line saying where signals go.

It also settles stacking: when another package registers an instrumentor under one of our names
(OpenLLMetry's ``openai``, ``langchain``, ``openai_agents``, for instance), only one of the two runs
(ours, unless AGENT_OS_OTEL_YIELD_INSTRUMENTATIONS names it), so every call gets one span, not two.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache

from opentelemetry.instrumentation.distro import BaseDistro
from opentelemetry.instrumentation.environment_variables import OTEL_PYTHON_CONFIGURATOR
from opentelemetry.util._importlib_metadata import entry_points

from . import settings
from .catalogue import AGENT_OS_OTEL_YIELD_INSTRUMENTATIONS, CONSOLE_SPAN_EXPORTER, DISTRO_NAME, EXPORTER_VARS
from .settings import collector_configured

_log = logging.getLogger(__name__)

EMBEDDED_EXPORTERS = {"traces": CONSOLE_SPAN_EXPORTER, "metrics": "none", "logs": "none"}
COLLECTOR_EXPORTERS = {"traces": "otlp", "metrics": "otlp", "logs": "otlp"}


def default_exporters() -> dict[str, str]:
    return COLLECTOR_EXPORTERS if collector_configured() else EMBEDDED_EXPORTERS


class AgentOsDistro(BaseDistro):
    def _configure(self, **kwargs) -> None:
        os.environ.setdefault(OTEL_PYTHON_CONFIGURATOR, DISTRO_NAME)
        for signal, name in default_exporters().items():
            os.environ.setdefault(EXPORTER_VARS[signal], name)

    def load_instrumentor(self, entry_point, **kwargs) -> None:
        why_not = skipped_because(entry_point)
        if why_not is None:
            super().load_instrumentor(entry_point, **kwargs)
        elif not _ours(entry_point):
            _log.warning("agent-os-otel: skipped the %r instrumentor of %s: %s", entry_point.name,
                         _package(entry_point), why_not)


def _ours(entry_point) -> bool:
    return entry_point.value.startswith(f"{__package__}.")


def _package(entry_point) -> str:
    return getattr(getattr(entry_point, "dist", None), "name", None) or entry_point.value


@lru_cache(maxsize=1)
def _contested() -> frozenset[str]:
    """Instrumentor names registered both by us and by some other package."""
    by_name: dict[str, set[bool]] = {}
    for entry_point in entry_points(group="opentelemetry_instrumentor"):
        by_name.setdefault(entry_point.name, set()).add(_ours(entry_point))
    return frozenset(name for name, owners in by_name.items() if owners == {True, False})


def skipped_because(entry_point) -> str | None:
    """Why this instrumentor does not run although installed and enabled (None: it runs)."""
    name = entry_point.name
    if name not in _contested():
        return None
    yielded = name in settings.current()[AGENT_OS_OTEL_YIELD_INSTRUMENTATIONS]
    if _ours(entry_point) and yielded:
        return f"another package's {name!r} instrumentor runs instead ({AGENT_OS_OTEL_YIELD_INSTRUMENTATIONS})"
    if not _ours(entry_point) and not yielded:
        return (f"agent-os-otel instruments {name} itself, and two instrumentors would record every call twice. "
                f"To use this one instead, set {AGENT_OS_OTEL_YIELD_INSTRUMENTATIONS}={name}.")
    return None
