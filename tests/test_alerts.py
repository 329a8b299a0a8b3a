"""alerts/: the Prometheus rules and the Alertmanager config, checked by the ecosystem's own tools
(promtool check/test rules, amtool check-config / config routes test), then end to end: a real
Prometheus evaluates the real rules against a scraped target, a real Alertmanager routes the alert
with a config derived from alerts/alertmanager.yml, and a local stand-in for PagerDuty's Events API v2
receives the event."""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from scripts.local_stack import Process, free_port, http_get, wait_until
from tests.support.webhook import PagerDutyEvents
from tests.test_metrics import PROMETHEUS_NAMES

ROOT = Path(__file__).resolve().parent.parent
ALERTS = ROOT / "alerts"
RULES = ALERTS / "prometheus-alerts.yml"
ALERTMANAGER_CONFIG = ALERTS / "alertmanager.yml"
UNIT_TESTS = ALERTS / "tests"
ROUTING_KEY = "R0UT1NGKEY0000000000000000000000"  # 32 characters, like a PagerDuty integration key


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=False, capture_output=True, text=True, timeout=60, cwd=ALERTS)


def rules() -> list[dict]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


ALERT_NAMES = sorted({rule["alert"] for rule in rules()})


def unit_test_file(alertname: str) -> Path:
    """HighViolationRate -> alerts/tests/high_violation_rate.yml"""
    return UNIT_TESTS / (re.sub(r"(?<!^)(?=[A-Z])", "_", alertname).lower() + ".yml")


# -- the tools' own checks ---------------------------------------------------------------------------


def test_promtool_check_rules_is_clean():
    result = run("promtool", "check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules())} rules found" in result.stdout


def test_the_issue_s_alerts_are_all_there():
    assert {"HighViolationRate", "AgentDown", "HighLatency", "SlowPolicyEvaluation", "VerificationFailures",
            "HighDrift", "TelemetryRefused", "TelemetryExportFailing", "AuditExporterFailing",
            "AuditRecordsMissing"} <= set(ALERT_NAMES)


def test_rules_use_the_names_prometheus_really_stores():
    """A misspelt metric makes a rule silently never fire: every agent_os_* name must be an SDK name
    and every agentos_* name one the collector derives (collector/README.md's ownership table)."""
    expressions = " ".join(rule["expr"] for rule in rules())
    sdk = set(PROMETHEUS_NAMES.values())
    collector = set(re.findall(r"^\| `(agentos_\w+)` \|", (ROOT / "collector" / "README.md").read_text(), re.MULTILINE))
    for name in set(re.findall(r"(?<![\w\"])(agent_?os_\w+)", expressions)):
        if name.startswith("agent_os_"):
            assert re.sub(r"_bucket$", "", name) in sdk, name
        else:
            assert name in collector, name


@pytest.mark.parametrize("rule", rules(), ids=lambda r: f"{r['alert']}-{r['labels']['severity']}")
def test_every_rule_has_severity_summary_description_and_runbook(rule):
    assert rule["labels"]["severity"] in ("critical", "warning")
    assert {"summary", "description", "runbook_url"} <= set(rule["annotations"])


@pytest.mark.parametrize("alertname", ALERT_NAMES)
def test_promtool_unit_tests_prove_the_alert_fires_and_stays_quiet(alertname):
    path = unit_test_file(alertname)
    assert path.exists(), f"{alertname} has no unit test file {path.relative_to(ROOT)}"
    checks = [check for test in yaml.safe_load(path.read_text())["tests"] for check in test["alert_rule_test"]
              if check["alertname"] == alertname]
    assert any(check["exp_alerts"] for check in checks), f"{path.name} never expects {alertname} to fire"
    assert any(not check["exp_alerts"] for check in checks), f"{path.name} never expects {alertname} to be quiet"
    result = run("promtool", "test", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_amtool_check_config_is_clean():
    result = run("amtool", "check-config", str(ALERTMANAGER_CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize(("severity", "receiver"), [("critical", "pagerduty-critical"),
                                                    ("warning", "pagerduty-warning")])
def test_alerts_are_routed_by_severity(severity, receiver):
    result = run("amtool", "config", "routes", "test", f"--config.file={ALERTMANAGER_CONFIG}",
                 f"severity={severity}", "alertname=HighViolationRate")
    assert result.stdout.strip() == receiver, result.stdout + result.stderr


def test_no_routing_key_is_committed():
    config = yaml.safe_load(ALERTMANAGER_CONFIG.read_text())
    for receiver in config["receivers"]:
        for pagerduty in receiver["pagerduty_configs"]:
            assert "routing_key" not in pagerduty and "service_key" not in pagerduty
            assert pagerduty["routing_key_file"].startswith("/")


# -- end to end: Prometheus -> Alertmanager -> "PagerDuty" ------------------------------------------------

# The collector's self-telemetry as a scrape shows it when the audit exporter has given records up
# (collector v0.165 names, no _total suffix). A real collector would need 5 minutes of failed retries
# to get there; the rule only reads this series, so a target serving it exercises the same path.
FAILING_COLLECTOR_METRICS = """\
# TYPE otelcol_exporter_send_failed_log_records counter
otelcol_exporter_send_failed_log_records{exporter="agentos_audit"} 3
# TYPE otelcol_exporter_sent_log_records counter
otelcol_exporter_sent_log_records{exporter="agentos_audit"} 120
"""


class MetricsTarget:
    """A /metrics endpoint on loopback serving fixed exposition text."""

    def __init__(self, text: str) -> None:
        body = text.encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def derived_alertmanager_config(key_file: Path, pagerduty_url: str) -> dict:
    """alerts/alertmanager.yml as shipped, but: the key file in tmp, PagerDuty at the local stand-in,
    and no batching delays (the test must finish in seconds, not group_wait's 30 s)."""
    config = yaml.safe_load(ALERTMANAGER_CONFIG.read_text())
    config["global"]["pagerduty_url"] = pagerduty_url
    for receiver in config["receivers"]:
        for pagerduty in receiver["pagerduty_configs"]:
            pagerduty["routing_key_file"] = str(key_file)
    config["route"].update(group_wait="0s", group_interval="1s")
    return config


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("alerts")
    key_file = workdir / "pagerduty_routing_key"
    key_file.write_text(ROUTING_KEY + "\n")  # a trailing newline, as `echo` writes it
    processes, target = [], MetricsTarget(FAILING_COLLECTOR_METRICS)
    with PagerDutyEvents() as pagerduty:
        try:
            am_port = free_port()
            am_config = workdir / "alertmanager.yml"
            am_config.write_text(yaml.safe_dump(derived_alertmanager_config(key_file, pagerduty.url)))
            alertmanager = Process(["prometheus-alertmanager", f"--config.file={am_config}",
                                    f"--storage.path={workdir / 'alertmanager-data'}",
                                    f"--web.listen-address=127.0.0.1:{am_port}", "--cluster.listen-address="],
                                   workdir / "alertmanager.log")
            processes.append(alertmanager)
            alertmanager.start()
            alertmanager.url = f"http://127.0.0.1:{am_port}"
            wait_until(lambda: http_get(f"{alertmanager.url}/-/ready")[0] == 200, 20, "Alertmanager", alertmanager.log)

            prom_port = free_port()
            prom_config = workdir / "prometheus.yml"
            prom_config.write_text(json.dumps({  # JSON is YAML
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(RULES)],
                "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{am_port}"]}]}]},
                "scrape_configs": [{"job_name": "otelcol", "static_configs": [{"targets": [target.address]}]}],
            }))
            prometheus = Process(["prometheus", f"--config.file={prom_config}",
                                  f"--web.listen-address=127.0.0.1:{prom_port}",
                                  f"--storage.tsdb.path={workdir / 'prometheus-data'}"], workdir / "prometheus.log")
            processes.append(prometheus)
            prometheus.start()
            prometheus.url = f"http://127.0.0.1:{prom_port}"
            wait_until(lambda: http_get(f"{prometheus.url}/-/ready")[0] == 200, 20, "Prometheus", prometheus.log)
            yield {"pagerduty": pagerduty, "alertmanager": alertmanager, "prometheus": prometheus,
                   "target": target}
        finally:
            for process in reversed(processes):
                process.stop(timeout=10)
            target.close()


def events_for(pagerduty: PagerDutyEvents, alertname: str) -> list[dict]:
    return [e for e in pagerduty.received() if e["payload"]["custom_details"]["alertname"] == alertname]


def test_a_firing_rule_reaches_pagerduty_as_an_events_api_v2_trigger(stack):
    started = time.monotonic()
    events = wait_until(lambda: events_for(stack["pagerduty"], "AuditExporterFailing"), 30,
                        "AuditExporterFailing at the PagerDuty stand-in", stack["prometheus"].log)
    elapsed = time.monotonic() - started
    event = events[0]
    instance = stack["target"].address
    assert event["routing_key"] == ROUTING_KEY  # read from the key file, newline stripped
    assert event["event_action"] == "trigger"
    assert event["dedup_key"]  # Alertmanager's group key hash: a later resolve closes this incident
    assert event["payload"]["severity"] == "critical"
    assert event["payload"]["summary"] == (
        f"[AuditExporterFailing] Audit exporter on {instance} is losing audit records")
    assert event["payload"]["source"]  # Alertmanager's external URL: where the responder clicks
    details = event["payload"]["custom_details"]
    assert details["description"] == ("The agentos_audit exporter failed to write or queue 3 audit records in "
                                      "the last 10 minutes: the tamper-evident trail has gaps.")
    assert details["runbook"].endswith("README.md#alert-runbooks")
    assert elapsed < 30


def post_alerts(alertmanager, alerts: list[dict]) -> None:
    request = urllib.request.Request(f"{alertmanager.url}/api/v2/alerts", data=json.dumps(alerts).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def violation_alert(job: str, severity: str) -> dict:
    return {"labels": {"alertname": "HighViolationRate", "job": job, "severity": severity},
            "annotations": {"summary": f"{job}: {severity} violation rate", "description": "d", "runbook_url": "r"}}


def test_a_critical_inhibits_the_matching_warning_only(stack):
    """The same alert for one service at both severities pages once (critical); another service's
    warning still goes out, as a warning."""
    pagerduty, alertmanager = stack["pagerduty"], stack["alertmanager"]

    def delivered():
        return {e["payload"]["summary"] for e in events_for(pagerduty, "HighViolationRate")}

    # The critical first, as when a rate climbs through both thresholds: Alertmanager's inhibitor
    # learns of new alerts asynchronously, and with the test's group_wait of 0 s a warning posted in
    # the same request could be flushed before it (the shipped 30 s group_wait covers that gap).
    post_alerts(alertmanager, [violation_alert("rogue", "critical")])
    wait_until(delivered, 20, "the critical HighViolationRate at the PagerDuty stand-in", alertmanager.log)
    post_alerts(alertmanager, [violation_alert("rogue", "warning"), violation_alert("mild", "warning")])
    wait_until(lambda: len(delivered()) >= 2, 20, "the warning HighViolationRate at the PagerDuty stand-in",
               alertmanager.log)
    time.sleep(3)  # group_interval is 1 s: an uninhibited warning would have arrived by now
    assert delivered() == {"[HighViolationRate] rogue: critical violation rate",
                           "[HighViolationRate] mild: warning violation rate"}
    severities = {e["payload"]["summary"]: e["payload"]["severity"] for e in events_for(pagerduty, "HighViolationRate")}
    assert severities["[HighViolationRate] mild: warning violation rate"] == "warning"
