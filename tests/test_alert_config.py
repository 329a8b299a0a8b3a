"""AlertConfig and `agent-os-otel alerts render`: the rendered files pass promtool and amtool, the
latency rule fires at the configured threshold (promtool test rules), the routing key never appears in
the output, and bad input gets one clear error."""

import subprocess
import sys
import textwrap

import pytest
import yaml

from agent_os_otel.alerting import (
    ActionLatencyP95,
    AlertConfig,
    AlertConfigError,
    DriftScoreP95,
    RoutingKey,
    ViolationRate,
)

CLI = [sys.executable, "-m", "agent_os_otel.cli"]
KEY = "0123456789abcdef0123456789abcdef"  # stands in for a real PagerDuty routing key
RUNBOOK = "https://github.com/agent-os-otel/agent-os-otel/blob/main/README.md#alert-runbooks"


def tool(*command: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


KEY_FILE = RoutingKey(file="/etc/alertmanager/pagerduty.key")


def every_rule(threshold_ms: float = 500, key: RoutingKey = KEY_FILE):
    return AlertConfig(routing_key=key, rules={
        "violation_rate": ViolationRate(threshold_percent=5, severity="critical"),
        "action_latency_p95": ActionLatencyP95(threshold_ms=threshold_ms, for_="2m"),
        "drift_score_p95": DriftScoreP95(threshold=0.4),
    })


def test_rendered_rules_and_alertmanager_config_pass_promtool_and_amtool(tmp_path):
    rules, alertmanager = every_rule().render(tmp_path)
    assert "SUCCESS: 3 rules found" in tool("promtool", "check", "rules", str(rules))
    checked = tool("amtool", "check-config", str(alertmanager))
    assert "SUCCESS" in checked and "1 receivers" in checked

    names = [rule["alert"] for rule in yaml.safe_load(rules.read_text())["groups"][0]["rules"]]
    assert names == ["HighViolationRate", "HighLatency", "HighDrift"]  # the names alerts/ uses too
    pagerduty = yaml.safe_load(alertmanager.read_text())["receivers"][0]["pagerduty_configs"][0]
    assert pagerduty["routing_key_file"] == "/etc/alertmanager/pagerduty.key"
    assert "routing_key" not in pagerduty and "service_key" not in pagerduty


# Three services whose actions all land in one bucket, one observation per second:
# fast in (0.25, 0.5] -> p95 0.4875 s; slow in (0.5, 1] -> 0.975 s; very_slow in (1, 2.5] -> 2.425 s.
LATENCY_SERIES = {"fast": "0.5", "slow": "1", "very_slow": "2.5"}
P95 = {"slow": "975ms", "very_slow": "2.425s"}


def latency_test_file(threshold_ms: int, firing: list[str]) -> str:
    series = []
    for job, upper in LATENCY_SERIES.items():
        for le in ("0.25", "0.5", "1", "2.5", "+Inf"):
            inside = float(le) >= float(upper)  # every observation is counted in this bucket
            series.append({"series": f'agent_os_action_duration_seconds_bucket{{job="{job}",le="{le}"}}',
                           "values": "0+60x30" if inside else "0x30"})
    expected = [{
        "exp_labels": {"severity": "warning", "job": job},
        "exp_annotations": {
            "summary": f"p95 action latency above {threshold_ms} ms in {job}",
            "description": f"The 95th percentile of agent action duration in {job} is {P95[job]} over the last "
                           f"5m (threshold {threshold_ms} ms). Look at the slowest agent.execute spans in Jaeger or "
                           "Zipkin.",
            "runbook_url": RUNBOOK,
        },
    } for job in firing]
    return yaml.safe_dump({
        "rule_files": ["prometheus-alerts.yml"],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": "1m",
            "input_series": series,
            "alert_rule_test": [
                {"eval_time": "1m", "alertname": "HighLatency", "exp_alerts": []},  # pending: for is 2m
                {"eval_time": "10m", "alertname": "HighLatency", "exp_alerts": expected},
            ],
        }],
    })


@pytest.mark.parametrize(("threshold_ms", "firing"), [(500, ["slow", "very_slow"]), (1000, ["very_slow"])])
def test_latency_alert_fires_above_the_configured_threshold_and_not_below(tmp_path, threshold_ms, firing):
    every_rule(threshold_ms).render(tmp_path)
    (tmp_path / "latency_test.yml").write_text(latency_test_file(threshold_ms, firing))
    assert "SUCCESS" in tool("promtool", "test", "rules", str(tmp_path / "latency_test.yml"))


def test_a_wrong_expectation_fails_promtool_so_the_test_above_means_something(tmp_path):
    every_rule(1000).render(tmp_path)
    (tmp_path / "latency_test.yml").write_text(latency_test_file(1000, ["slow", "very_slow"]))
    done = subprocess.run(["promtool", "test", "rules", str(tmp_path / "latency_test.yml")],
                          capture_output=True, text=True)
    assert done.returncode == 1 and "FAILED" in done.stdout + done.stderr


def test_an_env_var_key_source_renders_a_key_file_and_says_where_to_write_it(tmp_path):
    config = every_rule(key=RoutingKey(env="PAGERDUTY_ROUTING_KEY"))
    _, alertmanager = config.render(tmp_path)
    pagerduty = yaml.safe_load(alertmanager.read_text())["receivers"][0]["pagerduty_configs"][0]
    assert pagerduty["routing_key_file"] == "/etc/alertmanager/pagerduty_routing_key"
    assert "does not expand environment variables" in config.key_note()
    assert "$PAGERDUTY_ROUTING_KEY" in config.key_note()


def test_yaml_and_code_give_the_same_config():
    document = {"provider": "pagerduty", "routing_key": {"file": "/etc/alertmanager/pagerduty.key"},
                "rules": {"violation_rate": {"threshold_percent": 5, "severity": "critical"},
                          "action_latency_p95": {"threshold_ms": 500, "for": "2m"},
                          "drift_score_p95": {"threshold": 0.4}}}
    assert AlertConfig.from_dict(document) == every_rule()
    assert AlertConfig.from_dict(every_rule().as_dict()) == every_rule()


VALID = {"provider": "pagerduty", "routing_key": {"env": "PAGERDUTY_ROUTING_KEY"},
         "rules": {"action_latency_p95": {"threshold_ms": 1000}}}


def changed(**top) -> dict:
    return {**VALID, **top}


@pytest.mark.parametrize(("document", "names"), [
    (changed(provider="opsgenie"),
     ["provider:", "'opsgenie' is not one of ['pagerduty']", "Fix: set provider to pagerduty"]),
    (changed(rules={"action_latency_p95": {"threshold_ms": -5}}),
     ["rules.action_latency_p95.threshold_ms:", "-5",
      "Fix: set rules.action_latency_p95.threshold_ms to a latency in milliseconds"]),
    (changed(rules={"violation_rate": {"threshold_percent": 150}}),
     ["rules.violation_rate.threshold_percent:", "0 to 100"]),
    (changed(rules={"drift_score_p95": {"severity": "page"}}),
     ["rules.drift_score_p95.severity:", "critical, warning, info"]),
    (changed(rules={"action_latency_p95": {"for": "five minutes"}}), ["rules.action_latency_p95.for:", "5m"]),
    (changed(rules={"error_budget": {"threshold": 1}}),
     ["rules: unknown key(s) error_budget", "Fix: use one of: violation_rate, action_latency_p95, drift_score_p95"]),
    (changed(rules={}), ["rules:", "at least one of: violation_rate"]),
    ({k: v for k, v in VALID.items() if k != "routing_key"},
     ["routing_key: missing", "{file: ", "{env: PAGERDUTY_ROUTING_KEY}"]),
    (changed(routing_key={}), ["routing_key:", "Fix: set routing_key to {file: "]),
    (changed(routing_key={"url": "x"}), ["routing_key: unknown key(s) url", "Fix: use one of: env, file"]),
])
def test_invalid_input_gets_one_error_naming_the_key_and_the_fix(document, names):
    with pytest.raises(AlertConfigError) as error:
        AlertConfig.from_dict(document, where="alerts.yaml")
    message = str(error.value)
    assert message.startswith("alerts.yaml: ") and "\n" not in message
    for name in names:
        assert name in message


@pytest.mark.parametrize("routing_key", [KEY, {"env": KEY + "!"}])
def test_a_key_pasted_into_the_config_is_refused_without_echoing_it(routing_key):
    with pytest.raises(AlertConfigError) as error:
        AlertConfig.from_dict(changed(routing_key=routing_key))
    assert KEY not in str(error.value)
    assert "never the key itself" in str(error.value)


def test_the_python_api_validates_too():
    with pytest.raises(AlertConfigError, match=r"rules.action_latency_p95.threshold_ms: .*Fix: set"):
        AlertConfig(routing_key=RoutingKey(file="/k"), rules={"action_latency_p95": ActionLatencyP95(threshold_ms=0)})
    with pytest.raises(AlertConfigError, match=r"rules\['latency'\].*Fix: use one of 'violation_rate'"):
        AlertConfig(routing_key=RoutingKey(file="/k"), rules={"latency": ActionLatencyP95()})
    with pytest.raises(AlertConfigError, match="never the key itself") as error:
        AlertConfig(routing_key=KEY, rules={"action_latency_p95": ActionLatencyP95()})
    assert KEY not in str(error.value)


# -- the command, end to end --------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "PAGERDUTY_ROUTING_KEY": KEY}
    return subprocess.run([*CLI, "alerts", "render", *args], capture_output=True, text=True, env=env, timeout=60)


def test_cli_renders_checked_files_and_never_writes_the_key(tmp_path):
    config = tmp_path / "alerts.yaml"
    config.write_text(textwrap.dedent("""\
        provider: pagerduty
        routing_key: {env: PAGERDUTY_ROUTING_KEY}
        rules:
          violation_rate: {threshold_percent: 5, severity: critical}
          action_latency_p95: {threshold_ms: 1000}
          drift_score_p95:
        """))
    out = tmp_path / "out"
    done = run_cli("--config", str(config), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert f"wrote {out / 'prometheus-alerts.yml'}" in done.stdout
    assert f"wrote {out / 'alertmanager.yml'}" in done.stdout
    assert "write $PAGERDUTY_ROUTING_KEY there" in done.stdout
    tool("promtool", "check", "rules", str(out / "prometheus-alerts.yml"))
    tool("amtool", "check-config", str(out / "alertmanager.yml"))
    written = "".join(path.read_text() for path in out.iterdir())
    assert KEY not in written + done.stdout + done.stderr
    assert "routing_key_file: /etc/alertmanager/pagerduty_routing_key" in written


def test_cli_bad_config_exits_2_with_one_line(tmp_path):
    config = tmp_path / "alerts.yaml"
    config.write_text("provider: pagerduty\nrouting_key: {file: /k}\n"
                      "rules:\n  action_latency_p95: {threshold_ms: -1}\n")
    done = run_cli("--config", str(config), "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"agent-os-otel alerts render: {config}: rules.action_latency_p95.threshold_ms: ")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("content", "expected"), [
    (None, "cannot read the alert config (No such file or directory). Fix: pass a readable YAML file."),
    ("rules: [", "not valid YAML at line 1"),
    ("", "top level: None is not of type 'object'"),
])
def test_cli_unreadable_config_exits_2(tmp_path, content, expected):
    config = tmp_path / "alerts.yaml"
    if content is not None:
        config.write_text(content)
    done = run_cli("--config", str(config), "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and expected in done.stderr, done.stderr
