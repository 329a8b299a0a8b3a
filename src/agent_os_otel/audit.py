"""Audit records: one per policy decision, emitted as an OTel log record, and read back.

A record has DESIGN.md's fields (``catalogue.AUDIT_FIELDS``) and travels as the body of a log
record whose event name is ``agent_os.audit``, so a collector can route it to its audit exporter
(which adds the hash chain). With no collector configured, records are also appended to a local
JSON-lines file, so `AuditLog` and `agent-os-otel audit query` work after a purely local run.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import queue
import random
import re
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from opentelemetry import baggage, trace
from opentelemetry import context as otel_context
from opentelemetry._logs import LogRecord, SeverityNumber, get_logger
from opentelemetry.sdk._logs import LogRecordProcessor, ReadWriteLogRecord
from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult

from . import catalogue as c
from . import exporters, logs
from .version import __version__

_log = logging.getLogger(__name__)

# -- emitting ----------------------------------------------------------------------------------

_BAGGAGE_CONTEXT = {"user": "user", "user.id": "user", "session_id": "session_id", "session.id": "session_id"}
"""Baggage entries copied into a record's context: set them upstream to see who asked."""


def _rfc3339(epoch_ns: int) -> str:
    seconds, nanos = divmod(epoch_ns, 1_000_000_000)
    return _second_prefix(seconds) + f".{nanos // 1_000_000:03d}Z"


_last_second: tuple[int, str] = (-1, "")


def _second_prefix(seconds: int) -> str:
    """"2026-11-25T07:05:33" for this second; formatted once per second, not once per record."""
    global _last_second  # pylint: disable=global-statement - a one-entry cache; a race only re-formats
    cached = _last_second
    if cached[0] == seconds:
        return cached[1]
    prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    _last_second = (seconds, prefix)
    return prefix


_ids = random.Random()  # seeded from os.urandom once; per-record ids must not make a syscall each
_audit_logger = get_logger(c.SCOPE_NAME + ".audit", __version__)  # follows the global LoggerProvider
_SEVERITY = {"deny": ("WARN", SeverityNumber.WARN)}
_INFO = ("INFO", SeverityNumber.INFO)
_time_ns, _getrandbits, _get_current = time.time_ns, _ids.getrandbits, otel_context.get_current


def record_decision(
    *, agent_id: str, action: str, resource: str, decision: str, reason: str, rule_id: str,
    context: Mapping[str, Any] | None = None, span: trace.Span | None = None,
) -> dict:
    """Emit the audit record of one policy decision, inside the span that made it; returns it.

    ``span`` is that span when the caller has it at hand (it must be the current one); by default
    the current span is looked up.
    """
    now = _time_ns()
    current = _get_current()
    if span is None:
        span = trace.get_current_span(current)
    span_context = span.get_span_context()
    entries = baggage.get_all(current)
    merged = {target: str(entries[key]) for key, target in _BAGGAGE_CONTEXT.items() if key in entries} if entries else {}
    if context:
        for key, value in context.items():
            if value is not None:
                merged[key] = value
    valid = span_context.is_valid
    record = {
        "id": f"{_getrandbits(128):032x}",
        "timestamp": _rfc3339(now),
        "agent_id": agent_id,
        "action": action,
        "resource": resource,
        "decision": decision,
        "reason": reason,
        "rule_id": rule_id,
        "context": merged,
        "trace_id": f"{span_context.trace_id:032x}" if valid else "",
        "span_id": f"{span_context.span_id:016x}" if valid else "",
    }
    severity_text, severity_number = _SEVERITY.get(decision, _INFO)
    _audit_logger.emit(
        LogRecord(
            timestamp=now,
            observed_timestamp=now,
            context=current,
            severity_text=severity_text,
            severity_number=severity_number,
            body=record,
            attributes={"event.name": c.AUDIT_EVENT_NAME, c.ATTR_POLICY_DECISION: decision, c.ATTR_AGENT_ID: agent_id},
            event_name=c.AUDIT_EVENT_NAME,
        )
    )
    return record


class AuditFileExporter(LogRecordExporter):
    """Appends audit records (and only those) to a JSON-lines file; opened on the first record."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._file = None
        self._failed = False
        self._lock = threading.Lock()

    def export(self, batch) -> LogRecordExportResult:
        lines = [json.dumps(r.log_record.body, ensure_ascii=False, default=str) + "\n" for r in batch
                 if r.log_record.event_name == c.AUDIT_EVENT_NAME]
        if not lines:
            return LogRecordExportResult.SUCCESS
        with self._lock:
            try:
                if self._file is None:
                    self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open on purpose
                self._file.writelines(lines)
                self._file.flush()
            except OSError as exc:
                if not self._failed:  # say it once, loudly; the records still travel with the logs if exported
                    self._failed = True
                    _log.error("agent-os-otel: cannot append to audit file %s (%s). Fix: set %s to a writable path.",
                               self.path, exc.strerror or exc, c.AGENT_OS_OTEL_AUDIT_FILE)
                return LogRecordExportResult.FAILURE
        return LogRecordExportResult.SUCCESS

    def shutdown(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class AuditWriter(LogRecordProcessor):
    """Hands audit records to a writer thread: the agent never waits on redaction, JSON or the disk.

    The queue is unbounded on purpose: a burst is written late, never dropped. `force_flush` and
    `shutdown` (at exit, through the LoggerProvider) wait until everything queued is on disk.
    """

    _STOP = object()

    def __init__(self, exporter: LogRecordExporter) -> None:
        self._exporter = exporter
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._drain, name="agent-os-otel-audit", daemon=True)
        self._thread.start()

    def on_emit(self, log_record) -> None:
        if log_record.log_record.event_name == c.AUDIT_EVENT_NAME:
            self._queue.put(log_record)

    def _drain(self) -> None:
        stopping = False
        while not stopping:
            items = [self._queue.get()]  # wait for one, then take everything already queued
            while True:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            batch = [item for item in items if isinstance(item, ReadWriteLogRecord)]
            if batch:
                self._exporter.export(batch)
            for item in items:
                if isinstance(item, threading.Event):  # a flush waiting for what was queued before it
                    item.set()
            stopping = any(item is self._STOP for item in items)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout_millis / 1000)

    def shutdown(self) -> None:
        self._queue.put(self._STOP)
        self._thread.join(timeout=30)
        self._exporter.shutdown()


_GENERATED_SHAPES = {  # fields record_decision makes itself, and the only shape they can have
    "id": re.compile(r"[0-9a-f]{32}"),
    "trace_id": re.compile(r"[0-9a-f]{32}|"),
    "span_id": re.compile(r"[0-9a-f]{16}|"),
    "timestamp": re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"),
}


class AuditRedactingExporter(exporters.RedactingLogExporter):
    """`RedactingLogExporter` for the local audit file, minus the scan of the fields we generate.

    An audit record's id, timestamp, trace_id and span_id are new in every record, so each one is a
    first-sight string for the redactor (a full scan, several µs each, on the writer thread where it
    competes with the agent for the GIL), and none can hold a secret. A value that has exactly the
    shape we generate is passed as is; everything else is redacted as `RedactingLogExporter` does.
    """

    @staticmethod
    def redact_body(body, redactor):
        return _redact_record(body, redactor)


def _redact_record(body, redactor):
    if not isinstance(body, dict):
        return exporters._redact_any(body, redactor)
    kept = {key: value for key, value in body.items()
            if key in _GENERATED_SHAPES and isinstance(value, str) and _GENERATED_SHAPES[key].fullmatch(value)}
    if not kept:
        return exporters._redact_any(body, redactor)
    rest = exporters._redact_any({key: value for key, value in body.items() if key not in kept}, redactor)
    return {key: kept[key] if key in kept else rest[key] for key in body}


def enable_local_file(path: str) -> str:
    """Also append audit records to ``path`` (the embedded default), written by a background thread."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        fallback = c.AGENT_OS_OTEL_AUDIT_FILE.default
        print(f"agent-os-otel: {c.AGENT_OS_OTEL_AUDIT_FILE}={path!r} is invalid (folder {folder} is missing or not "
              f"writable). Fix: set {c.AGENT_OS_OTEL_AUDIT_FILE} to a writable path. Writing audit records to "
              f"{fallback} instead.", file=sys.stderr)
        path = fallback
    exporter = AuditRedactingExporter(AuditFileExporter(path))
    logs.logger_provider().add_log_record_processor(AuditWriter(exporter))
    return path


# -- reading -----------------------------------------------------------------------------------

_RELATIVE = re.compile(r"^(?:last_)?(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_time_range(time_range: Any, now: datetime | None = None) -> tuple[datetime, datetime]:
    """"last_24h" / "24h" / "30m" / "7d", an ISO-8601 start, or a (start, end) pair of datetimes."""
    now = now or datetime.now(timezone.utc)
    if isinstance(time_range, tuple) and len(time_range) == 2 and all(isinstance(t, datetime) for t in time_range):
        return tuple(t if t.tzinfo else t.replace(tzinfo=timezone.utc) for t in time_range)
    if isinstance(time_range, str):
        match = _RELATIVE.match(time_range.strip())
        if match:
            return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))}), now
        try:
            start = datetime.fromisoformat(time_range.strip().replace("Z", "+00:00"))
            return (start if start.tzinfo else start.replace(tzinfo=timezone.utc)), now
        except ValueError:
            pass
    raise ValueError(
        f"time_range={time_range!r} is not understood. Fix: use 'last_24h', '30m', '7d', an ISO-8601 time "
        "such as '2026-11-25T00:00:00Z', or a (start, end) pair of datetimes."
    )


def _timestamp(record: dict) -> datetime | None:
    try:
        return datetime.fromisoformat(str(record["timestamp"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None


class AuditLog:
    """Audit records in a JSON-lines file, as written locally or by the collector's audit exporter
    (whose rotated files beside it are read too)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.skipped: list[str] = []
        """Lines that were not audit records, as "file:line: why": reported, never silently dropped."""

    def files(self) -> list[Path]:
        """The file itself, after the files the collector rotated out of it (audit-<seq>.jsonl)."""
        rotated = self.path.parent.glob(f"{self.path.stem}-{'[0-9]' * 20}{self.path.suffix}")
        return sorted(rotated) + ([self.path] if self.path.exists() else [])

    def records(self) -> Iterator[dict]:
        files = self.files()
        if not files:
            raise FileNotFoundError(
                f"audit file {str(self.path)!r} does not exist. Fix: run an agent first (with no collector, "
                f"records go to {c.AGENT_OS_OTEL_AUDIT_FILE.default}), or pass the file the collector writes."
            )
        for path in files:
            yield from self._read(path)

    def _read(self, path: Path) -> Iterator[dict]:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    self.skipped.append(f"{path}:{number}: not JSON ({exc.msg})")
                    continue
                if not isinstance(record, dict) or "decision" not in record:
                    self.skipped.append(f"{path}:{number}: not an audit record")
                    continue
                yield record

    def query(self, decision: str | None = None, time_range: Any = None, limit: int = 100,
              agent_id: str | None = None, action: str | None = None) -> list[dict]:
        """Matching records, newest first, at most ``limit``."""
        if decision not in (None, "allow", "deny"):
            raise ValueError(f"decision={decision!r} is not valid. Fix: use 'allow' or 'deny' (or None for both).")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit={limit!r} is not valid. Fix: use a positive whole number, e.g. 100.")
        start, end = parse_time_range(time_range) if time_range is not None else (None, None)
        found = []
        for record in self.records():
            if decision and record.get("decision") != decision:
                continue
            if agent_id and record.get("agent_id") != agent_id:
                continue
            if action and record.get("action") != action:
                continue
            if start is not None:
                when = _timestamp(record)
                if when is None or not start <= when <= end:
                    continue
            found.append(record)
        found.sort(key=lambda r: str(r.get("timestamp", "")), reverse=True)
        return found[:limit]


# -- verifying the collector's chained trail ---------------------------------------------------------

GENESIS = "0" * 64
"""prev_hash of the first record of a trail."""
_CHAIN_FIELDS = ("seq", "prev_hash", "hash", "signature")


@dataclass
class Verdict:
    """The outcome of `verify_files`: OK with counts, or the first bad record and what is wrong."""

    ok: bool
    records: int
    files: int
    last_seq: int = 0
    last_hash: str = GENESIS
    file: str = ""
    line: int = 0
    problem: str = ""

    def __str__(self) -> str:
        if self.ok:
            return (f"OK: {self.records} records in {self.files} file(s), seq 1..{self.last_seq}, "
                    f"chain and signatures valid; last hash {self.last_hash}")
        return f"FAILED: {self.file}:{self.line}: {self.problem}"


def record_hash(record: dict) -> str:
    """SHA-256 over the RFC 8785 canonical JSON of the record without hash and signature
    (collector/AUDIT_FORMAT.md); the collector's audit exporter computes the same."""
    import rfc8785  # imported lazily: only verification needs it

    content = {key: value for key, value in record.items() if key not in ("hash", "signature")}
    return hashlib.sha256(rfc8785.dumps(content)).hexdigest()


def _first_seq(path: Path) -> int:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                return int(json.loads(line)["seq"])
            except (ValueError, KeyError, TypeError):
                return 0
    return 0


def verify_files(paths: list[str | Path], key: bytes, expect_last_seq: int | None = None) -> Verdict:
    """Check seq, prev_hash links, hashes and HMAC signatures across (rotated) files, in chain order."""
    files = sorted((Path(p) for p in paths), key=_first_seq)
    verdict = Verdict(ok=True, records=0, files=len(files))
    for path in files:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                problem = _check_line(line, verdict, key)
                if problem:
                    return Verdict(False, verdict.records, len(files), verdict.last_seq, verdict.last_hash,
                                   str(path), number, problem)
    if expect_last_seq is not None and verdict.last_seq != expect_last_seq:
        return Verdict(False, verdict.records, len(files), verdict.last_seq, verdict.last_hash,
                       str(files[-1]) if files else "", 0,
                       f"chain ends at seq {verdict.last_seq}, expected {expect_last_seq}: records after it are "
                       "missing (truncated tail)")
    return verdict


def _check_line(line: str, verdict: Verdict, key: bytes) -> str | None:
    """What is wrong with this line given the chain so far (None: fine, and the chain advances)."""
    if not line.endswith("\n"):
        return "the last line is incomplete (the file was truncated or a write was torn)"
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"not valid JSON ({exc.msg}): the line was edited or damaged"
    missing = [field for field in _CHAIN_FIELDS if field not in record]
    if missing:
        return f"missing chain field(s) {', '.join(missing)}: not written by the audit exporter, or edited"
    expected_seq = verdict.last_seq + 1
    if record["seq"] != expected_seq:
        return (f"seq {record['seq']} where {expected_seq} was expected: records were removed, inserted or "
                "reordered here")
    if record["prev_hash"] != verdict.last_hash:
        return f"seq {record['seq']}: prev_hash does not match the previous record's hash (a record before it changed)"
    digest = record_hash(record)
    if digest != record["hash"]:
        return f"seq {record['seq']}: hash does not match the record's content (the record was edited)"
    if not hmac.compare_digest(hmac.new(key, digest.encode(), hashlib.sha256).hexdigest(), str(record["signature"])):
        return f"seq {record['seq']}: signature is not valid for this key (forged, or the wrong key)"
    verdict.records += 1
    verdict.last_seq, verdict.last_hash = record["seq"], record["hash"]
    return None
