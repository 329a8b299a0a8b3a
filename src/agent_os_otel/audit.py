"""Audit records: one per policy decision, emitted as an OTel log record, and read back.

A record has DESIGN.md's fields (``catalogue.AUDIT_FIELDS``) and travels as the body of a log
record whose event name is ``agent_os.audit``, so a collector can route it to its audit exporter
(which adds the hash chain). With no collector configured, records are also appended to a local
JSON-lines file, so `AuditLog` and `agent-os-otel audit query` work after a purely local run; the
file gets the record itself, and the OTel log record is only made when something reads OTel logs.
"""

from __future__ import annotations

import atexit
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
from opentelemetry._logs import (
    LogRecord,
    NoOpLoggerProvider,
    SeverityNumber,
    get_logger,
    get_logger_provider,
)
from opentelemetry._logs._internal import ProxyLoggerProvider
from opentelemetry.sdk._logs import LogRecordProcessor
from opentelemetry.sdk._logs.export import LogRecordExporter

from . import catalogue as c
from . import exporters, logs, redaction
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
_local_files: list[AuditFile] = []  # enable_local_file's; records go to them directly, not through OTel logs


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
    for local in _local_files:
        local.append(record)
    if _logs_have_a_reader():
        severity_text, severity_number = _SEVERITY.get(decision, _INFO)
        _audit_logger.emit(
            LogRecord(
                timestamp=now,
                observed_timestamp=now,
                context=current,
                severity_text=severity_text,
                severity_number=severity_number,
                body=record,
                attributes={"event.name": c.AUDIT_EVENT_NAME, c.ATTR_POLICY_DECISION: decision,
                            c.ATTR_AGENT_ID: agent_id},
                event_name=c.AUDIT_EVENT_NAME,
            )
        )
    return record


def _logs_have_a_reader() -> bool:
    """Whether an OTel log record of the decision goes anywhere: our logs are exported, or the program set
    a LoggerProvider of its own. Ours with no export exists only for the local file, which gets the record
    directly: the SDK log record (about half the cost of a decision on the agent's thread) is skipped."""
    provider = get_logger_provider()
    if isinstance(provider, (ProxyLoggerProvider, NoOpLoggerProvider)):  # none set: nobody reads
        return False
    return provider is not logs.logger_provider_if_made() or logs.exported()


class _BatchingThread:
    """A daemon thread that hands queued items to ``export(items)`` in batches.

    It wakes when `BATCH` items wait or `DELAY_S` after the first of them, so a burst costs one
    wake-up, one export call and one file write per batch rather than per item (waking a thread per
    audit record, in CPython, cost the agent more than the record itself). The queue is unbounded on
    purpose: a burst is written late, never dropped. `flush` and `stop` wake it at once and wait
    until everything queued before them is out.
    """

    BATCH = 512
    DELAY_S = 0.2  # how long a record may wait in memory: the SDK's batch processors wait 1 s
    _STOP = object()

    def __init__(self, name: str, export) -> None:
        self._export = export
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._drain, name=name, daemon=True)
        self._thread.start()

    def put(self, item) -> None:
        self._queue.put(item)
        if self._queue.qsize() >= self.BATCH:
            self._wake.set()

    def flush(self, timeout_s: float) -> bool:
        done = threading.Event()
        self._queue.put(done)
        self._wake.set()
        return done.wait(timeout_s)

    def stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(self._STOP)
            self._wake.set()
            self._thread.join(timeout=30)

    def _drain(self) -> None:
        stopping = False
        while not stopping:
            items = [self._queue.get()]  # sleep until there is something, then let a batch gather
            if not isinstance(items[0], threading.Event) and items[0] is not self._STOP:
                self._wake.wait(self.DELAY_S)
            self._wake.clear()  # before draining: whatever is put after this wakes the next round
            while True:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            batch = [item for item in items if not isinstance(item, threading.Event) and item is not self._STOP]
            if batch:
                try:
                    self._export(batch)
                except Exception:  # pylint: disable=broad-except - the thread must outlive one bad batch
                    _log.exception("agent-os-otel: writing %d audit records failed", len(batch))
            for item in items:
                if isinstance(item, threading.Event):  # a flush waiting for what was queued before it
                    item.set()
            stopping = any(item is self._STOP for item in items)


class AuditWriter(LogRecordProcessor):
    """Hands audit log records to ``exporter`` from a writer thread (`_BatchingThread`): the agent never
    waits on redaction, encoding or the network, and a burst is exported late, never dropped (the SDK's
    batch processor drops when its queue is full). `force_flush` and `shutdown` (at exit, through the
    LoggerProvider) wait until everything queued is exported."""

    def __init__(self, exporter: LogRecordExporter) -> None:
        self._exporter = exporter
        self._thread = _BatchingThread("agent-os-otel-audit", exporter.export)

    def on_emit(self, log_record) -> None:
        if log_record.log_record.event_name == c.AUDIT_EVENT_NAME:
            self._thread.put(log_record)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._thread.flush(timeout_millis / 1000)

    def shutdown(self) -> None:
        self._thread.stop()
        self._exporter.shutdown()


_CALLER_FIELDS = ("agent_id", "action", "resource", "decision", "reason", "rule_id", "context")
"""The fields of a record that carry the caller's text, so may hold a secret. id, timestamp, trace_id and
span_id are made by record_decision itself: new in every record, each would be a first-sight string for
the redactor (a full scan, several µs each), and none can hold a secret."""


class AuditFile:
    """Appends audit records to a JSON-lines file from a writer thread, redacted; opened on the first batch.

    Written at exit and by `flush()`; a record waits at most `_BatchingThread.DELAY_S` in memory.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._file = None
        self._failed = False
        self._thread = _BatchingThread("agent-os-otel-audit-file", self._write)
        atexit.register(self.close)

    def append(self, record: dict) -> None:
        self._thread.put(record)

    def flush(self, timeout_s: float = 30) -> bool:
        return self._thread.flush(timeout_s)

    def close(self) -> None:
        self._thread.stop()
        if self._file is not None:
            self._file.close()
            self._file = None

    def _write(self, records: list[dict]) -> None:
        redactor = redaction.active_redactor()
        if redactor is not None:
            records = [{**record, **{key: exporters.redact_any(record[key], redactor) for key in _CALLER_FIELDS
                                     if key in record}} for record in records]
        lines = [json.dumps(record, ensure_ascii=False, default=str) + "\n" for record in records]
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


def enable_local_file(path: str) -> str:
    """Also append audit records to ``path`` (the embedded default), written by a background thread."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        fallback = c.AGENT_OS_OTEL_AUDIT_FILE.default
        print(f"agent-os-otel: {c.AGENT_OS_OTEL_AUDIT_FILE}={path!r} is invalid (folder {folder} is missing or not "
              f"writable). Fix: set {c.AGENT_OS_OTEL_AUDIT_FILE} to a writable path. Writing audit records to "
              f"{fallback} instead.", file=sys.stderr)
        path = fallback
    _local_files.append(AuditFile(path))
    return path


def flush(timeout_s: float = 30) -> bool:
    """Wait until every audit record made so far is in the local files and handed to the log exporters."""
    done = [local.flush(timeout_s) for local in _local_files]  # every one, even after one timed out
    logs.force_flush()
    return all(done)


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
