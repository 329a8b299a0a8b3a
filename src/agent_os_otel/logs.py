"""Structured logging over the stdlib `logging` users already call.

Each record becomes a JSON line (or a readable text line) on stdout and/or a file, carrying the
trace_id/span_id of the current span and the agent fields passed in ``extra=``; the same record is
also emitted as an OTel log record when a logs exporter is configured.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from dataclasses import dataclass, replace

import wrapt

from opentelemetry import trace
from opentelemetry._logs import LogRecord, SeverityNumber, get_logger, set_logger_provider
from opentelemetry.sdk._logs import LoggerProvider, LogRecordProcessor
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

from . import catalogue as c
from . import exporters, redaction, resource
from . import settings as settings_mod
from .version import __version__

_OURS = "_agent_os_otel_handler"  # marks the handlers we add to the root logger


@dataclass
class LoggingConfig:
    """What `configure_logging` sets up. A field left at None takes its AGENT_OS_OTEL_LOG_* setting
    (environment, config file, or default), so code only overrides what it names."""

    level: str | int | None = None
    format: str | None = None  # json | text
    output: str | None = None  # stdout | file | both | none
    file_path: str | None = None
    include_trace_ids: bool | None = None
    redact_secrets: bool | None = None
    """Scrub secrets from the lines written here; None follows AGENT_OS_OTEL_REDACTION_ENABLED."""
    exporter: str = "none"
    """OTel log exporters, comma-separated names as OTEL_LOGS_EXPORTER takes them (e.g. "otlp")."""
    endpoint: str | None = None


_FIELD_SETTINGS = {
    "level": c.AGENT_OS_OTEL_LOG_LEVEL,
    "format": c.AGENT_OS_OTEL_LOG_FORMAT,
    "output": c.AGENT_OS_OTEL_LOG_OUTPUT,
    "file_path": c.AGENT_OS_OTEL_LOG_FILE,
    "include_trace_ids": c.AGENT_OS_OTEL_LOG_TRACE_IDS,
}


def _trace_ids() -> tuple[str, str] | None:
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return trace.format_trace_id(context.trace_id), trace.format_span_id(context.span_id)


def _timestamp(created: float) -> str:
    """RFC 3339, UTC, milliseconds: 2026-11-25T03:20:24.123Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{int(created % 1 * 1000):03d}Z"


class _Formatter(logging.Formatter):
    def __init__(self, include_trace_ids: bool, redact: bool) -> None:
        super().__init__()
        self.include_trace_ids = include_trace_ids
        self.redact = redact

    def fields(self, record: logging.LogRecord) -> dict:
        redactor = redaction.active_redactor() if self.redact else None
        scrub = redactor.redact if redactor else (lambda text: text)
        line = {
            "timestamp": _timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        ids = _trace_ids() if self.include_trace_ids else None
        if ids:
            line["trace_id"], line["span_id"] = ids
        for name in c.LOG_AGENT_FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                line[name] = scrub(value) if isinstance(value, str) else value
        if record.exc_info:
            line["exception"] = scrub(self.formatException(record.exc_info))
        return line


class JsonFormatter(_Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(self.fields(record), default=str, ensure_ascii=False)


class TextFormatter(_Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = self.fields(record)
        head = f"{line.pop('timestamp')} {line.pop('level'):<8} {line.pop('logger')}: {line.pop('message')}"
        exception = line.pop("exception", None)
        tail = " ".join(f"{key}={value}" for key, value in line.items())
        return head + (f"  [{tail}]" if tail else "") + (f"\n{exception}" if exception else "")


_SEVERITY = ((logging.CRITICAL, SeverityNumber.FATAL), (logging.ERROR, SeverityNumber.ERROR),
             (logging.WARNING, SeverityNumber.WARN), (logging.INFO, SeverityNumber.INFO),
             (logging.DEBUG, SeverityNumber.DEBUG))


def _severity(levelno: int) -> SeverityNumber:
    return next((number for floor, number in _SEVERITY if levelno >= floor), SeverityNumber.TRACE)


class OTelLogHandler(logging.Handler):
    """Emits stdlib records as OTel log records (trace context attached by the SDK from the current span)."""

    def __init__(self, provider: LoggerProvider) -> None:
        super().__init__()
        self._provider = provider

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("opentelemetry"):
            return  # the SDK's own complaints about exporting must not feed the exporter
        try:
            attributes = {name: record.__dict__[name] for name in c.LOG_AGENT_FIELDS if name in record.__dict__}
            attributes["code.function.name"] = record.funcName
            attributes["code.line.number"] = record.lineno
            if record.exc_info and record.exc_info[0] is not None:
                attributes["exception.type"] = record.exc_info[0].__name__
                attributes["exception.message"] = str(record.exc_info[1])
            get_logger(record.name, __version__, logger_provider=self._provider).emit(
                LogRecord(
                    timestamp=int(record.created * 1e9),
                    observed_timestamp=time.time_ns(),
                    severity_text=record.levelname,
                    severity_number=_severity(record.levelno),
                    body=record.getMessage(),
                    attributes=attributes,
                )
            )
        except Exception:  # pylint: disable=broad-except
            self.handleError(record)


class _AppLogsOnly(LogRecordProcessor):
    """Hands every record but audit records to ``inner``; AuditWriter carries those."""

    def __init__(self, inner: LogRecordProcessor) -> None:
        self.inner = inner

    def on_emit(self, log_record) -> None:
        if log_record.log_record.event_name != c.AUDIT_EVENT_NAME:
            self.inner.on_emit(log_record)

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.provider_lock = threading.Lock()
        self.provider: LoggerProvider | None = None
        self.exporting: tuple[str, str | None] | None = None
        self.otel_destinations: list[str] = []


_state = _State()


def configure_logging(config: LoggingConfig | None = None, /, **fields) -> list[str]:
    """Route stdlib logging as `config` says; returns where log records go. Safe to call again."""
    config = replace(config or LoggingConfig(), **fields)
    if isinstance(config.level, int):
        config.level = logging.getLevelName(config.level)
    config = settings_mod.resolve(config, _FIELD_SETTINGS)
    config.level = config.level.upper()
    if config.redact_secrets is None:
        config.redact_secrets = settings_mod.current()[c.AGENT_OS_OTEL_REDACTION_ENABLED]
    with _state.lock:
        handlers = _output_handlers(config)  # opens the file first: a bad path changes nothing
        destinations = [_describe(h) for h in handlers]
        otel = _otel_handler(config)
        if otel is not None:
            handlers.append(otel)
        root = logging.getLogger()
        for old in [h for h in root.handlers if getattr(h, _OURS, False)]:
            root.removeHandler(old)
            old.close()
        for handler in handlers:
            setattr(handler, _OURS, True)
            root.addHandler(handler)
        root.setLevel(config.level)
        _let_user_config_win()
        return destinations + _state.otel_destinations


def _output_handlers(config: LoggingConfig) -> list[logging.Handler]:
    formatter_class = JsonFormatter if config.format == "json" else TextFormatter
    handlers: list[logging.Handler] = []
    if config.output in ("stdout", "both"):
        handlers.append(logging.StreamHandler(sys.stdout))
    if config.output in ("file", "both"):
        try:
            handlers.append(logging.FileHandler(config.file_path, encoding="utf-8"))
        except OSError as exc:
            raise settings_mod.ConfigError(
                f"agent-os-otel: cannot open log file {config.file_path!r} ({exc.strerror}). "
                f"Fix: set {c.AGENT_OS_OTEL_LOG_FILE} to a writable path."
            ) from None
    for handler in handlers:
        handler.setFormatter(formatter_class(config.include_trace_ids, config.redact_secrets))
    return handlers


def _describe(handler: logging.Handler) -> str:
    kind = "json" if isinstance(handler.formatter, JsonFormatter) else "text"
    if isinstance(handler, logging.FileHandler):
        return f"{handler.baseFilename} ({kind})"
    return f"stdout ({kind})"


def logger_provider() -> LoggerProvider:
    """The process's LoggerProvider (ours), made on first use: log export and audit records share it."""
    with _state.provider_lock:
        if _state.provider is None:
            _state.provider = LoggerProvider(resource=resource.build())
            set_logger_provider(_state.provider)
        return _state.provider


def _otel_handler(config: LoggingConfig) -> OTelLogHandler | None:
    """The OTel export handler. Exporters are chosen once; a later "none" keeps them running."""
    names = [n.strip() for n in config.exporter.split(",") if n.strip() not in ("", "none")]
    wanted = (",".join(names), config.endpoint)
    if names and _state.exporting is None:
        from .audit import AuditWriter  # audit builds on this module's provider

        created = exporters.create_all("logs", names, config.endpoint)
        provider = logger_provider()
        for exporter in created:
            provider.add_log_record_processor(_AppLogsOnly(BatchLogRecordProcessor(exporter)))
        # Audit records travel the same way but through a queue that never drops (the batch
        # processor's queue drops on a burst): an exporter of their own behind an AuditWriter.
        for exporter in exporters.create_all("logs", names, config.endpoint):
            provider.add_log_record_processor(AuditWriter(exporter))
        _state.exporting = wanted
        _state.otel_destinations = [exporters.describe(e) for e in created]
    elif names and wanted != _state.exporting:
        logging.getLogger(__name__).warning(
            "agent-os-otel: log exporters are already set (%s); %r is ignored. Fix: choose them once, at the "
            "first configure_logging or with OTEL_LOGS_EXPORTER.", _state.exporting[0], config.exporter,
        )
    # stdlib records go to OTel only when something exports them (the provider may exist just for audit)
    return OTelLogHandler(_state.provider) if _state.exporting else None


_config_functions_wrapped = False


def _step_aside_for_user_config(configure, instance, args, kwargs):
    """If the program configures logging itself, its handlers write the lines and ours step aside.

    basicConfig is a no-op when the root logger has handlers, so without this our handler would
    silently swallow the program's own logging set-up. The OTel export handler always stays.
    """
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, _OURS, False)]
    for handler in ours:
        root.removeHandler(handler)
    try:
        return configure(*args, **kwargs)
    finally:
        user_has_output = any(not getattr(h, _OURS, False) for h in root.handlers)
        for handler in ours:
            if isinstance(handler, OTelLogHandler) or not user_has_output:
                root.addHandler(handler)


def _let_user_config_win() -> None:
    global _config_functions_wrapped
    if not _config_functions_wrapped:
        _config_functions_wrapped = True
        wrapt.wrap_function_wrapper(logging, "basicConfig", _step_aside_for_user_config)
        # logging.config is wrapped when the program imports it (now, if it has): importing it costs start-up time
        wrapt.register_post_import_hook(_wrap_config_functions, "logging.config")


def _wrap_config_functions(config_module) -> None:
    wrapt.wrap_function_wrapper(config_module, "dictConfig", _step_aside_for_user_config)
    wrapt.wrap_function_wrapper(config_module, "fileConfig", _step_aside_for_user_config)


def exported() -> bool:
    """Whether OTel log exporters are set up (audit records then travel with them)."""
    return _state.exporting is not None


def logger_provider_if_made() -> LoggerProvider | None:
    """Our LoggerProvider, or None while nothing has needed one (no log export set up)."""
    return _state.provider


def force_flush() -> None:
    if _state.provider is not None:
        _state.provider.force_flush()
