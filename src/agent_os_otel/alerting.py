"""AlertConfig: a short description of the alerts you want, rendered into Prometheus rules and an
Alertmanager config (`agent-os-otel alerts render --config alerts.yaml --out DIR`).

Alerting lives in Prometheus and Alertmanager, not in the agent process: this module only writes
their config files. The PagerDuty routing key never passes through here. The config names where it
is (a file, or an environment variable), and the rendered Alertmanager config reads it with
`routing_key_file`.

    provider: pagerduty
    routing_key: {env: PAGERDUTY_ROUTING_KEY}      # or {file: /etc/alertmanager/pagerduty_routing_key}
    rules:
      violation_rate: {threshold_percent: 5, severity: critical}
      action_latency_p95: {threshold_ms: 1000, severity: warning}
      drift_score_p95: {threshold: 0.5, severity: warning}

Alertmanager does not expand environment variables in its config file. So with `env`, the rendered
config reads `routing_key_file` at `file` (default /etc/alertmanager/pagerduty_routing_key), and whoever
starts Alertmanager writes the variable's value there. docker-compose.yml does that with a secret:
`secrets: {pagerduty_routing_key: {environment: PAGERDUTY_ROUTING_KEY}}`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from .settings import ConfigError

PROVIDERS = ("pagerduty",)
SEVERITIES = ("critical", "warning", "info")  # also PagerDuty Events API v2 severities, passed through
DEFAULT_KEY_FILE = "/etc/alertmanager/pagerduty_routing_key"  # as in alerts/alertmanager.yml and docker-compose.yml
RUNBOOK_URL = "https://github.com/agent-os-otel/agent-os-otel/blob/main/README.md#alert-runbooks"
RULES_FILE = "prometheus-alerts.yml"  # the same names as the hand-written alerts/ files
ALERTMANAGER_FILE = "alertmanager.yml"
WINDOW = "5m"  # the rate() window of every rule

_DURATION = {"type": "string", "pattern": r"^[0-9]+(ms|s|m|h|d|w|y)$",
             "x-fix": "a Prometheus duration such as 5m, 30s or 1h"}
_SEVERITY = {"enum": list(SEVERITIES), "x-fix": "one of " + ", ".join(SEVERITIES)}


class AlertConfigError(ConfigError):
    """The alert config cannot be used. The message names the key and the fix."""


@dataclass(frozen=True)
class RoutingKey:
    """Where Alertmanager reads the PagerDuty routing key: `file`, which may be filled from `env`."""

    env: str | None = None
    file: str | None = None

    @property
    def path(self) -> str:
        return self.file or DEFAULT_KEY_FILE


@dataclass(frozen=True)
class _Rule:
    """One alert rule. Subclasses add a threshold field, which is named with its unit."""

    severity: str = "warning"
    for_: str = "5m"  # `for` in YAML

    alert: ClassVar[str]
    threshold_field: ClassVar[str]
    threshold_schema: ClassVar[dict]

    def prometheus_rule(self) -> dict:
        return {"alert": self.alert, "expr": self.expr(), "for": self.for_,
                "labels": {"severity": self.severity},
                "annotations": {"summary": self.summary(), "description": self.description(),
                                "runbook_url": RUNBOOK_URL}}


@dataclass(frozen=True)
class ViolationRate(_Rule):
    """Policy violations as a percentage of actions, per service (job)."""

    threshold_percent: float = 5.0
    severity: str = "critical"

    alert: ClassVar[str] = "HighViolationRate"
    threshold_field: ClassVar[str] = "threshold_percent"
    threshold_schema: ClassVar[dict] = {"type": "number", "minimum": 0, "maximum": 100,
                                        "x-fix": "a percentage of actions from 0 to 100, e.g. 5"}

    def expr(self) -> str:
        return (f"100 * sum by (job) (rate(agent_os_violations_total[{WINDOW}]))"
                f" / sum by (job) (rate(agent_os_actions_total[{WINDOW}])) > {self.threshold_percent:g}")

    def summary(self) -> str:
        return f"Policy violations above {self.threshold_percent:g}% of actions in {{{{ $labels.job }}}}"

    def description(self) -> str:
        return ("{{ $value | printf \"%.1f\" }}% of the actions of {{ $labels.job }} violated a policy over the last "
                f"{WINDOW} (threshold {self.threshold_percent:g}%). Look at the denied decisions: "
                "agent-os-otel audit query --decision deny --since 1h")


@dataclass(frozen=True)
class ActionLatencyP95(_Rule):
    """The 95th percentile of agent action duration, per service (job)."""

    threshold_ms: float = 1000.0

    alert: ClassVar[str] = "HighLatency"
    threshold_field: ClassVar[str] = "threshold_ms"
    threshold_schema: ClassVar[dict] = {"type": "number", "exclusiveMinimum": 0,
                                        "x-fix": "a latency in milliseconds above 0, e.g. 1000"}

    def expr(self) -> str:
        seconds = self.threshold_ms / 1000  # the histogram is in seconds
        return (f"histogram_quantile(0.95, sum by (job, le) (rate(agent_os_action_duration_seconds_bucket[{WINDOW}])))"
                f" > {seconds:g}")

    def summary(self) -> str:
        return f"p95 action latency above {self.threshold_ms:g} ms in {{{{ $labels.job }}}}"

    def description(self) -> str:
        return ("The 95th percentile of agent action duration in {{ $labels.job }} is {{ $value | humanizeDuration }} "
                f"over the last {WINDOW} (threshold {self.threshold_ms:g} ms). Look at the slowest agent.execute "
                "spans in Jaeger or Zipkin.")


@dataclass(frozen=True)
class DriftScoreP95(_Rule):
    """The 95th percentile of the drift score (0..1) of verified outputs, per service (job)."""

    threshold: float = 0.5

    alert: ClassVar[str] = "HighDrift"
    threshold_field: ClassVar[str] = "threshold"
    threshold_schema: ClassVar[dict] = {"type": "number", "minimum": 0, "maximum": 1,
                                        "x-fix": "a drift score from 0 to 1, e.g. 0.5"}

    def expr(self) -> str:
        return (f"histogram_quantile(0.95, sum by (job, le) (rate(agent_os_drift_score_bucket[{WINDOW}])))"
                f" > {self.threshold:g}")

    def summary(self) -> str:
        return f"p95 drift score above {self.threshold:g} in {{{{ $labels.job }}}}"

    def description(self) -> str:
        return ("The 95th percentile of the drift score of verified outputs in {{ $labels.job }} is "
                f"{{{{ $value | printf \"%.2f\" }}}} over the last {WINDOW} (threshold {self.threshold:g}). "
                "Compare recent outputs with their references (verification.check spans).")


RULES: dict[str, type[_Rule]] = {
    "violation_rate": ViolationRate,
    "action_latency_p95": ActionLatencyP95,
    "drift_score_p95": DriftScoreP95,
}


def _rule_schema(rule: type[_Rule]) -> dict:
    # null: the rule with its defaults (`drift_score_p95:` alone in YAML)
    return {"type": ["object", "null"], "additionalProperties": False,
            "properties": {rule.threshold_field: rule.threshold_schema, "severity": _SEVERITY, "for": _DURATION},
            "x-fix": f"a mapping with {rule.threshold_field}, severity and for"}


_NAME = {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$",
         "x-fix": "the name of the environment variable that holds the key, e.g. PAGERDUTY_ROUTING_KEY"}
_KEY_FIX = "{file: /etc/alertmanager/pagerduty_routing_key} or {env: PAGERDUTY_ROUTING_KEY}, never the key itself"

SCHEMA: dict = {
    "type": "object",
    "additionalProperties": False,
    "required": ["provider", "routing_key", "rules"],
    "x-fix": "a mapping with provider, routing_key and rules",
    "properties": {
        "provider": {"enum": list(PROVIDERS), "x-fix": "pagerduty (the only provider supported)"},
        "routing_key": {
            "type": "object", "additionalProperties": False, "minProperties": 1, "x-fix": _KEY_FIX,
            "properties": {"env": _NAME, "file": {"type": "string", "minLength": 1, "x-fix": _KEY_FIX}},
        },
        "rules": {
            "type": "object", "additionalProperties": False, "minProperties": 1,
            "x-fix": "a mapping with at least one of: " + ", ".join(RULES),
            "properties": {name: _rule_schema(rule) for name, rule in RULES.items()},
        },
    },
}


@dataclass(frozen=True)
class AlertConfig:
    """The alerts to render. Build it in code or load it with `AlertConfig.load(path)`; both validate."""

    routing_key: RoutingKey
    rules: dict[str, _Rule] = field(default_factory=dict)  # keys: the names in RULES
    provider: str = "pagerduty"

    def __post_init__(self) -> None:
        if not isinstance(self.routing_key, RoutingKey):  # not echoed: it may be the key itself
            raise AlertConfigError("AlertConfig: routing_key is not a RoutingKey. Fix: pass "
                                   "RoutingKey(file=...) or RoutingKey(env=...), never the key itself.")
        for name, rule in self.rules.items():
            if type(rule) is not RULES.get(name):
                choices = ", ".join(f"{n!r}: {cls.__name__}(...)" for n, cls in RULES.items())
                raise AlertConfigError(f"AlertConfig: rules[{name!r}] is {rule!r}. Fix: use one of {choices}.")
        _validate(self.as_dict(), "AlertConfig")

    # -- loading ---------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path) -> AlertConfig:
        import yaml

        try:
            document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise AlertConfigError(f"{path}: cannot read the alert config ({exc.strerror}). "
                                   "Fix: pass a readable YAML file.") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise AlertConfigError(f"{path}: not valid YAML{at}. Fix: correct the YAML syntax.") from None
        return cls.from_dict(document, where=str(path))

    @classmethod
    def from_dict(cls, data: Any, where: str = "AlertConfig") -> AlertConfig:
        _validate(data, where)
        rules = {}
        for name, values in data["rules"].items():
            values = dict(values or {})
            if "for" in values:
                values["for_"] = values.pop("for")
            rules[name] = RULES[name](**values)
        return cls(routing_key=RoutingKey(**data["routing_key"]), rules=rules, provider=data["provider"])

    def as_dict(self) -> dict:
        """The YAML form: from_dict(as_dict()) gives the same config."""
        rules = {}
        for name, rule in self.rules.items():
            values = dataclasses.asdict(rule)
            values["for"] = values.pop("for_")
            rules[name] = values
        key = {k: v for k, v in dataclasses.asdict(self.routing_key).items() if v is not None}
        return {"provider": self.provider, "routing_key": key, "rules": rules}

    # -- rendering -------------------------------------------------------------------------------

    def prometheus_rules(self) -> dict:
        rules = [rule.prometheus_rule() for rule in self.rules.values()]
        return {"groups": [{"name": "agent-os-otel", "rules": rules}]}

    def alertmanager_config(self) -> dict:
        # Every rule carries one severity, which PagerDuty's Events API v2 takes as it is; grouping by
        # alertname keeps one severity per notification.
        return {
            "route": {"receiver": "pagerduty", "group_by": ["alertname", "job"],
                      "group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h"},
            "receivers": [{
                "name": "pagerduty",
                "pagerduty_configs": [{
                    "routing_key_file": self.routing_key.path,
                    "severity": "{{ .CommonLabels.severity }}",
                    "description": "{{ .CommonAnnotations.summary }}",
                    "send_resolved": True,
                }],
            }],
        }

    def key_note(self) -> str:
        """Where the routing key must be, for the person deploying Alertmanager."""
        path = self.routing_key.path
        if self.routing_key.env:
            return (f"Alertmanager reads the PagerDuty routing key from {path}. It does not expand environment "
                    f"variables, so write ${self.routing_key.env} there before it starts (a Compose secret with "
                    f"`environment: {self.routing_key.env}` mounted at {path} does this).")
        return f"Alertmanager reads the PagerDuty routing key from {path}; put the key there, never in the config."

    def render(self, out_dir: str | Path, source: str = "code") -> list[Path]:
        """Write RULES_FILE and ALERTMANAGER_FILE into out_dir; returns their paths."""
        import yaml

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        header = f"# Rendered by `agent-os-otel alerts render` from {source}. Edit that, not this file.\n"
        written = []
        for name, document in ((RULES_FILE, self.prometheus_rules()), (ALERTMANAGER_FILE, self.alertmanager_config())):
            path = out / name
            path.write_text(header + yaml.safe_dump(document, sort_keys=False, width=1000), encoding="utf-8")
            written.append(path)
        return written


def _validate(data: Any, where: str) -> None:
    from jsonschema import Draft202012Validator  # lazily: only the alerts command needs it

    errors = sorted(Draft202012Validator(SCHEMA).iter_errors(data), key=lambda e: (len(e.absolute_path), e.path))
    if errors:
        raise AlertConfigError(f"{where}: {_explain(errors[0])}")


def _explain(error) -> str:
    path = [str(p) for p in error.absolute_path]
    key = ".".join(path) or "top level"
    fix = error.schema.get("x-fix", "see the README section on AlertConfig")
    if error.validator == "additionalProperties":
        unknown = ", ".join(sorted(set(error.instance) - set(error.schema.get("properties", {}))))
        known = ", ".join(error.schema.get("properties", {}))
        return f"{key}: unknown key(s) {unknown}. Fix: use one of: {known}."
    if error.validator == "required":
        missing = next(name for name in error.validator_value if name not in error.instance)
        sub = error.schema["properties"][missing]
        missing_key = ".".join(path + [missing])
        return f"{missing_key}: missing. Fix: set {missing_key} to {sub.get('x-fix', fix)}."
    if path[:1] == ["routing_key"]:
        # jsonschema's message quotes the value, and a user may have pasted the key itself here.
        return f"{key}: not a file path or environment variable name. Fix: set routing_key to {_KEY_FIX}."
    return f"{key}: {error.message}. Fix: set {key} to {fix}."
