"""The `agent-os-otel` command."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path

from . import alerting, audit, catalogue, doctor, settings
from .version import __version__


def _doctor(args: argparse.Namespace) -> int:
    report = doctor.build_report()
    if args.json:
        print(json.dumps(dataclasses.asdict(report), indent=2, default=str))
    else:
        print(doctor.render(report))
    if report.problems:
        print(f"\nagent-os-otel doctor: {len(report.problems)} problem(s) found; see above.", file=sys.stderr)
        return 1
    return 0


def _audit_query(args: argparse.Namespace) -> int:
    log = audit.AuditLog(args.file)
    try:
        records = log.query(decision=args.decision, time_range=args.since, limit=args.limit, agent_id=args.agent)
    except (ValueError, FileNotFoundError) as exc:
        print(f"agent-os-otel audit query: {exc}", file=sys.stderr)
        return 2
    for record in records:
        if args.json:
            print(json.dumps(record, ensure_ascii=False))
        else:
            print(f"{record.get('timestamp', '')}  {record.get('decision', ''):<5}  {record.get('agent_id', '')}  "
                  f"{record.get('action', '')}  {record.get('resource', '')}  {record.get('rule_id', '')}  "
                  f"{record.get('reason', '')}  trace_id={record.get('trace_id', '')}")
    for problem in log.skipped:
        print(f"agent-os-otel audit query: skipped {problem}", file=sys.stderr)
    print(f"{len(records)} record(s)", file=sys.stderr)
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    if args.key_file:
        try:
            key = Path(args.key_file).read_bytes().rstrip(b" \t\r\n")  # as the exporter reads it
        except OSError as exc:
            print(f"agent-os-otel audit verify: cannot read --key-file {args.key_file} ({exc.strerror}). Fix: pass "
                  "the file the collector's audit exporter signs with.", file=sys.stderr)
            return 2
    else:
        key = os.environ.get(args.key_env, "").rstrip(" \t\r\n").encode()
    if not key:
        print(f"agent-os-otel audit verify: the key is empty ({args.key_file or '$' + args.key_env}). Fix: pass the "
              "key the collector's audit exporter signs with.", file=sys.stderr)
        return 2
    missing = [p for p in args.paths if not Path(p).is_file()]
    if missing:
        print(f"agent-os-otel audit verify: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    verdict = audit.verify_files(args.paths, key, expect_last_seq=args.expect_last_seq)
    print(verdict, file=sys.stdout if verdict.ok else sys.stderr)
    return 0 if verdict.ok else 1


def _alerts_render(args: argparse.Namespace) -> int:
    try:
        config = alerting.AlertConfig.load(args.config)
    except alerting.AlertConfigError as exc:
        print(f"agent-os-otel alerts render: {exc}", file=sys.stderr)
        return 2
    for path in config.render(args.out, source=args.config):
        print(f"wrote {path}")
    print(config.key_note())
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number (e.g. 100)")
    return value


def _time_window(text: str) -> str:
    try:
        audit.parse_time_range(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time window. Fix: use 24h, 30m, 7d, or an ISO-8601 time such as 2026-11-25T00:00:00Z"
        ) from None
    return text


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="agent-os-otel", description="Observability for AI agents on OpenTelemetry.")
    top.add_argument("--version", action="version", version=f"agent-os-otel {__version__}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = commands.add_parser("doctor", help="show the effective configuration and what is broken")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.set_defaults(run=_doctor)

    audit_parser = commands.add_parser("audit", help="read audit records (one per policy decision)")
    audit_commands = audit_parser.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    query = audit_commands.add_parser("query", help="list matching records, newest first")
    query.add_argument("--file", default=settings.current()[catalogue.AGENT_OS_OTEL_AUDIT_FILE],
                       help="audit JSON-lines file (default: AGENT_OS_OTEL_AUDIT_FILE, %(default)s)")
    query.add_argument("--decision", choices=("allow", "deny"), help="only this decision")
    query.add_argument("--since", type=_time_window, help="time window: 24h, 30m, 7d, or an ISO-8601 time")
    query.add_argument("--agent", help="only this agent id")
    query.add_argument("--limit", type=_positive_int, default=100, help="at most this many (default %(default)s)")
    query.add_argument("--json", action="store_true", help="one JSON record per line")
    query.set_defaults(run=_audit_query)

    verify = audit_commands.add_parser("verify", help="check the collector's chained audit files (seq, hashes, HMAC)")
    verify.add_argument("paths", nargs="+", metavar="PATH", help="audit files, rotated ones included, in any order")
    key = verify.add_mutually_exclusive_group(required=True)
    key.add_argument("--key-file", help="file holding the HMAC key the audit exporter signs with")
    key.add_argument("--key-env", help="environment variable holding that key")
    verify.add_argument("--expect-last-seq", type=_positive_int,
                        help="the seq the trail must end at (detects records cut from the end)")
    verify.set_defaults(run=_audit_verify)

    alerts_parser = commands.add_parser("alerts", help="render Prometheus rules and Alertmanager config")
    alerts_commands = alerts_parser.add_subparsers(dest="alerts_command", required=True, metavar="ACTION")
    render = alerts_commands.add_parser(
        "render", help=f"write {alerting.RULES_FILE} and {alerting.ALERTMANAGER_FILE} from an alert config")
    render.add_argument("--config", required=True, help="alert config YAML (provider, routing_key, rules)")
    render.add_argument("--out", required=True, help="directory to write the two files into")
    render.set_defaults(run=_alerts_render)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
