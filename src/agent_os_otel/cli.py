"""The `agent-os-otel` command."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

from . import doctor
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


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="agent-os-otel", description="Observability for AI agents on OpenTelemetry.")
    top.add_argument("--version", action="version", version=f"agent-os-otel {__version__}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = commands.add_parser("doctor", help="show the effective configuration and what is broken")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.set_defaults(run=_doctor)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
