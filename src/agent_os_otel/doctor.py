"""`agent-os-otel doctor`: what this process would do, where each value comes from, what is broken."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from importlib import metadata
from urllib.parse import urlparse

from opentelemetry.instrumentation.dependencies import get_dependency_conflicts, get_dist_dependency_conflicts
from opentelemetry.util._importlib_metadata import entry_points

from . import catalogue as c
from . import distro, exporters
from . import settings as settings_mod
from .version import __version__

FRAMEWORKS = (
    "agent-os-kernel", "langchain-core", "langgraph", "openai-agents", "openai",
    "crewai", "llama-index-core", "pydantic-ai", "mcp",
)
"""Distributions whose presence is worth reporting (instrumented now or planned)."""


@dataclass
class Report:
    settings: list[dict] = field(default_factory=list)
    otel: list[dict] = field(default_factory=list)
    mode: str = ""
    exporters: dict[str, str] = field(default_factory=dict)
    endpoints: list[dict] = field(default_factory=list)
    instrumentors: list[dict] = field(default_factory=list)
    frameworks: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _answers(host: str, port: int, timeout: float = 1.0) -> str | None:
    """None when something accepts TCP connections there, else why not."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as exc:
        return exc.strerror or type(exc).__name__


def _host_port(url: str, default_port: int) -> tuple[str, int]:
    parsed = urlparse(url if "://" in url else f"//{url}")
    return parsed.hostname or "localhost", parsed.port or default_port


def build_report() -> Report:
    """What `doctor` prints. Called in a running agent, it also shows values set by code."""
    report = Report()
    settings = settings_mod.current()
    report.problems += settings.errors
    for setting in c.SETTINGS:
        value = settings.source(setting)
        report.settings.append({"env": setting.env, "key": setting.key, "value": value.value,
                                "source": value.source, "origin": value.origin})

    collector = settings_mod.collector_configured()
    report.mode = ("collector: an OTLP endpoint is set, every signal defaults to OTLP" if collector else
                   "embedded: no OTLP endpoint set, signals stay local (traces on stderr, /metrics, logs on stdout)")
    defaults = distro.default_exporters()
    for signal, var in c.EXPORTER_VARS.items():
        user = os.environ.get(var)
        report.exporters[signal] = user if user else defaults[signal]
        report.otel.append({"env": var, "value": report.exporters[signal],
                            "source": "env" if user else "distro default"})
    for var in (*c.OTLP_ENDPOINT_VARS, "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_SERVICE_NAME",
                "OTEL_RESOURCE_ATTRIBUTES", "OTEL_TRACES_SAMPLER", "OTEL_PROPAGATORS", "OTEL_PYTHON_DISTRO",
                "OTEL_PYTHON_CONFIGURATOR", "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"):
        if os.environ.get(var):
            report.otel.append({"env": var, "value": os.environ[var], "source": "env"})

    _check_exporters(report)
    _check_endpoints(report, settings)
    _list_instrumentors(report)
    for name in FRAMEWORKS:
        try:
            report.frameworks.append({"name": name, "version": metadata.version(name)})
        except metadata.PackageNotFoundError:
            continue
    return report


def _check_exporters(report: Report) -> None:
    for signal, names in report.exporters.items():
        for name in filter(None, (n.strip() for n in names.split(","))):
            if name in ("none", "otlp") or (signal == "metrics" and name == "prometheus"):
                continue
            group = f"opentelemetry_{signal}_exporter"
            if not list(entry_points(group=group, name=name)):
                known = ", ".join(sorted({ep.name for ep in entry_points(group=group)} | {"none"}))
                report.problems.append(
                    f"{c.EXPORTER_VARS[signal]}: exporter {name!r} is not installed. Fix: use one of {known}."
                )


def _check_endpoints(report: Report, settings: settings_mod.Settings) -> None:
    uses_otlp = any("otlp" in names for names in report.exporters.values())
    if uses_otlp:
        for signal in c.EXPORTER_VARS:
            if "otlp" not in report.exporters[signal]:
                continue
            protocol = exporters.otlp_protocol(signal)
            url = (os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT")
                   or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
                   or ("http://localhost:4318" if protocol.startswith("http") else "http://localhost:4317"))
            host, port = _host_port(url, 4318 if protocol.startswith("http") else 4317)
            why_not = _answers(host, port)
            report.endpoints.append({"what": f"OTLP {signal} ({protocol})", "url": url,
                                     "status": "answers" if why_not is None else f"does not answer: {why_not}"})
            if why_not:
                report.warnings.append(f"OTLP {signal} endpoint {url} does not answer ({why_not}): is the collector "
                                       "running? Exports will be retried and then dropped.")
    if "zipkin" in report.exporters["traces"]:
        url = os.environ.get("OTEL_EXPORTER_ZIPKIN_ENDPOINT", "http://localhost:9411/api/v2/spans")
        why_not = _answers(*_host_port(url, 9411))
        report.endpoints.append({"what": "Zipkin", "url": url,
                                 "status": "answers" if why_not is None else f"does not answer: {why_not}"})
    if settings[c.AGENT_OS_OTEL_PROMETHEUS_ENABLED]:
        host, port = settings[c.AGENT_OS_OTEL_PROMETHEUS_HOST], settings[c.AGENT_OS_OTEL_PROMETHEUS_PORT]
        url = f"http://{host}:{port}{settings[c.AGENT_OS_OTEL_PROMETHEUS_PATH]}"
        busy = port != 0 and _answers(host, port, timeout=0.3) is None
        report.endpoints.append({"what": "Prometheus /metrics (served by the agent)", "url": url,
                                 "status": "port in use (by a running agent?)" if busy else "port free"})


def _list_instrumentors(report: Report) -> None:
    disabled = {n.strip() for n in os.environ.get("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "").split(",")}
    for entry_point in entry_points(group="opentelemetry_instrumentor"):
        dist = getattr(entry_point, "dist", None)
        row = {"name": entry_point.name, "package": f"{dist.name} {dist.version}" if dist else "?"}
        skipped = distro.skipped_because(entry_point)
        if entry_point.name in disabled or "*" in disabled:
            row["status"] = "disabled by OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"
        elif skipped:
            row["status"] = f"skipped: {skipped}"
        else:
            try:  # the instrumentor's own answer: which library versions it needs
                needs = entry_point.load()().instrumentation_dependencies()
                conflict = get_dependency_conflicts(list(needs))
            except ModuleNotFoundError as exc:  # many instrumentors import their library at module level
                conflict = (get_dist_dependency_conflicts(dist) if dist else None) or f"{exc.name} is not installed"
            except Exception as exc:  # pylint: disable=broad-except - a broken plugin is a finding, not a crash
                conflict = f"cannot load it ({type(exc).__name__}: {exc})"
            row["status"] = f"inactive: {conflict}" if conflict else "active"
        report.instrumentors.append(row)


def render(report: Report) -> str:
    lines = [f"agent-os-otel doctor ({__version__})", "", f"Mode: {report.mode}", "", "Settings (value, source):"]
    width = max(len(row["env"]) for row in report.settings)
    for row in report.settings:
        origin = f" ({row['origin']})" if row["source"] == "file" else ""
        lines.append(f"  {row['env']:<{width}}  {row['value']!r:<24} {row['source']}{origin}")
    lines += ["", "OpenTelemetry variables:"]
    for row in report.otel:
        lines.append(f"  {row['env']:<{width}}  {row['value']!r:<24} {row['source']}")
    lines += ["", "Exporters:"] + [f"  {signal:<8} {names}" for signal, names in report.exporters.items()]
    lines += ["", "Endpoints:"] + [f"  {e['what']}: {e['url']} -> {e['status']}" for e in report.endpoints]
    lines += ["", "Instrumentors:"] + (
        [f"  {i['name']:<16} {i['package']:<28} {i['status']}" for i in report.instrumentors] or ["  none installed"]
    )
    lines += ["", "Frameworks detected:"] + (
        [f"  {f['name']} {f['version']}" for f in report.frameworks] or ["  none"]
    )
    if report.warnings:
        lines += ["", "Warnings:"] + [f"  {w}" for w in report.warnings]
    lines += ["", "Problems:"] + ([f"  {p}" for p in report.problems] or ["  none"])
    return "\n".join(lines)
