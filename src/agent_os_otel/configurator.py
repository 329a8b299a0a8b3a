"""The `opentelemetry_configurator` entry point: sets up every signal from settings and OTEL_* vars.

It goes through the same functions as the programmatic API, so both paths behave alike. Nothing
here may stop the user's program: a bad setting is one line on stderr and its default is used.
"""

from __future__ import annotations

import os
import sys

from . import audit, catalogue, logs, metrics, redaction, tracing
from . import settings as settings_mod
from .catalogue import EXPORTER_VARS, OTLP_ENDPOINT_VARS
from .settings import ConfigError


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _step(what: str, action):
    """Run one set-up step; its failure is reported in one line and the others still run."""
    try:
        return action()
    except ConfigError as exc:
        _say(str(exc))
    except Exception as exc:  # pylint: disable=broad-except - never break the user's program
        _say(f"agent-os-otel: could not set up {what} ({type(exc).__name__}: {exc}); the program runs without it.")
    return []


def exporter_names(signal: str) -> str:
    return os.environ.get(EXPORTER_VARS[signal], "none")


def _audit(settings: settings_mod.Settings) -> list[str]:
    """Audit records travel with the exported logs; with no collector, or no logs exporter, they are
    (also) appended to a local file, so that no decision goes unrecorded."""
    exported = logs.exported()
    if settings_mod.collector_configured() and exported:
        return ["with the logs"]
    return [audit.enable_local_file(settings[catalogue.AGENT_OS_OTEL_AUDIT_FILE])]


def startup_line(traces: list[str], metric_dests: list[str], log_dests: list[str], audit_dests: list[str]) -> str:
    endpoint_var = next((v for v in OTLP_ENDPOINT_VARS if os.environ.get(v, "").strip()), None)
    if endpoint_var:
        where = f"collector configured ({endpoint_var}={os.environ[endpoint_var]})"
        hint = ""
    else:
        where = "no collector configured, signals stay local"
        hint = " To send them to a collector: export OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317"

    def show(destinations: list[str]) -> str:
        return " + ".join(destinations) or "off"

    return (
        f"agent-os-otel: {where}: traces -> {show(traces)}; metrics -> {show(metric_dests)}; "
        f"logs -> {show(log_dests)}{'; audit -> ' + show(audit_dests) if audit_dests else ''}.{hint}"
    )


def _metrics() -> list[str]:
    metrics.enable_metrics(exporter=exporter_names("metrics"))  # every other field from the settings
    return metrics.destinations()


def _tracing() -> list[str]:
    # sample_rate/propagators None: OTEL_TRACES_SAMPLER and OTEL_PROPAGATORS apply, as in any OTel program
    return tracing.apply(
        tracing.TracingConfig(exporter=exporter_names("traces"), sample_rate=None, propagators=None)
    )


def _logging() -> list[str]:
    exporter = exporter_names("logs")
    try:
        return logs.configure_logging(exporter=exporter)  # every other field from the settings
    except ConfigError as exc:  # an unwritable log file must not lose the lines: keep them on stdout
        _say(f"{exc} Logging to stdout instead.")
        return logs.configure_logging(exporter=exporter, output="stdout")


class AgentOsConfigurator:
    """opentelemetry-instrument calls ``AgentOsConfigurator().configure()`` once, at start-up.

    Not a subclass of the SDK's ``_BaseConfigurator``, an ABC for just this method: its module
    imports the SDK's whole configuration machinery (logging.config, every signal's SDK), start-up
    time spent on code that never runs here.
    """

    def configure(self, **kwargs) -> None:
        settings = settings_mod.current()
        for error in settings.errors:
            _say(error)
        _step("redaction", lambda: redaction.configure_from_settings(settings))
        metric_dests = _step("metrics", _metrics)
        trace_dests = _step("tracing", _tracing)
        log_dests = _step("logging", _logging)
        audit_dests = _step("audit", lambda: _audit(settings))
        _say(startup_line(trace_dests, metric_dests, log_dests, audit_dests))
