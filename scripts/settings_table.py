"""Print the README's settings table from the catalogue (tests check the README matches it)."""

import json

from agent_os_otel.catalogue import AGENT_OS_OTEL_CONFIG, SETTINGS


def table() -> str:
    rows = ["| Variable | Config file key | Default | Meaning |", "|---|---|---|---|",
            f"| `{AGENT_OS_OTEL_CONFIG}` | - | unset | Path of the optional YAML config file (below). |"]
    for s in SETTINGS:
        default = json.dumps(s.default) if not isinstance(s.default, str) else (s.default or '""')
        rows.append(f"| `{s.env}` | `{s.key}` | `{default}` | {s.doc} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
