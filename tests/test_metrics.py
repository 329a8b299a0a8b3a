"""The metrics catalogue on /metrics: exact Prometheus names, unit-fitting buckets, promtool-clean."""

import re
import subprocess
import textwrap

from agent_os_otel import catalogue
from tests.support.run import ROOT, clean_env, free_port, run_instrumented, run_python

# OTel instrument -> the name a user scrapes (DESIGN.md's table, plus the GenAI ones)
PROMETHEUS_NAMES = {
    "agent_os.actions": "agent_os_actions_total",
    "agent_os.violations": "agent_os_violations_total",
    "agent_os.actions.blocked": "agent_os_actions_blocked_total",
    "agent_os.action.duration": "agent_os_action_duration_seconds",
    "agent_os.active_agents": "agent_os_active_agents",
    "agent_os.policy.evaluations": "agent_os_policy_evaluations_total",
    "agent_os.policy.evaluation.duration": "agent_os_policy_evaluation_duration_seconds",
    "agent_os.policy.cache_hits": "agent_os_policy_cache_hits_total",
    "agent_os.episodes": "agent_os_episodes_total",
    "agent_os.memory.size": "agent_os_memory_size_bytes",
    "agent_os.retrieval.duration": "agent_os_retrieval_duration_seconds",
    "agent_os.verifications": "agent_os_verifications_total",
    "agent_os.verification.failures": "agent_os_verification_failures_total",
    "agent_os.drift_score": "agent_os_drift_score",
    "gen_ai.client.operation.duration": "gen_ai_client_operation_duration_seconds",
    "gen_ai.client.token.usage": "gen_ai_client_token_usage",
}

RECORD_EVERY_INSTRUMENT = """
for name, instrument in vars(instruments).items():
    if name.endswith("duration"):
        instrument.record(0.003)
    elif name == "drift_score":
        instrument.record(0.42)
    elif name == "gen_ai_token_usage":
        instrument.record(300, {"gen_ai.token.type": "input"})
    else:
        instrument.add(3)
"""
RECORD_ALL = """
import urllib.request
from agent_os_otel import enable_metrics, instruments
url = enable_metrics(port=0)
""" + RECORD_EVERY_INSTRUMENT + """
print(urllib.request.urlopen(url).read().decode())
"""


def promtool_check(exposition: str) -> subprocess.CompletedProcess:
    return subprocess.run(["promtool", "check", "metrics"], input=exposition, text=True, capture_output=True)


def test_every_instrument_has_its_exact_prometheus_name(tmp_path):
    assert set(PROMETHEUS_NAMES) == {spec.name for spec in catalogue.METRICS}
    result = run_python(tmp_path, RECORD_ALL)
    assert result.returncode == 0, result.stderr
    families = set(re.findall(r"^# TYPE (\S+) ", result.stdout, re.M))
    for otel_name, prometheus_name in PROMETHEUS_NAMES.items():
        assert prometheus_name in families, f"{otel_name} is not exposed as {prometheus_name}"
        assert re.search(rf"^{prometheus_name}(_bucket|_count)?{{", result.stdout, re.M), prometheus_name
    assert re.search(r'^agent_os_actions_total\{.*\} 3\.0$', result.stdout, re.M)
    assert re.search(r'^agent_os_memory_size_bytes\{.*\} 3\.0$', result.stdout, re.M)


def test_histogram_buckets_fit_their_unit(tmp_path):
    body = run_python(tmp_path, RECORD_ALL).stdout

    def bounds(name):
        return [float(b) for b in re.findall(rf'^{name}_bucket{{.*?le="([^"+]+)"', body, re.M)]

    assert bounds("agent_os_drift_score") == list(catalogue.UNIT_INTERVAL)  # 0..1, not 0..10000
    assert max(bounds("agent_os_drift_score")) == 1.0
    assert bounds("agent_os_policy_evaluation_duration_seconds")[0] == 0.0001  # sub-millisecond checks
    assert bounds("agent_os_action_duration_seconds") == list(catalogue.SECONDS_ACTION)
    assert bounds("gen_ai_client_operation_duration_seconds") == list(catalogue.GEN_AI_DURATION)
    assert bounds("gen_ai_client_token_usage") == [float(b) for b in catalogue.GEN_AI_TOKENS]
    # 0.003 s lands in the 0.005 bucket, not in the SDK default's first bucket of 0
    assert re.search(r'^agent_os_action_duration_seconds_bucket\{.*le="0\.005".*\} 1\.0$', body, re.M)
    assert re.search(r'^agent_os_action_duration_seconds_bucket\{.*le="0\.001".*\} 0\.0$', body, re.M)


def test_scraped_endpoint_passes_promtool(tmp_path):
    port = free_port()
    run = run_instrumented(tmp_path, clean_env(AGENT_OS_OTEL_PROMETHEUS_PORT=str(port)),
                           program=ROOT / "examples" / "quickstart.py", scrape=(f"http://127.0.0.1:{port}/metrics",))
    status, body = run.scrapes[f"http://127.0.0.1:{port}/metrics"]
    assert status == 200 and "agent_os_actions_total" in body
    checked = promtool_check(body)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    full = run_python(tmp_path, RECORD_ALL).stdout  # every instrument, process and python metrics too
    checked = promtool_check(full)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_enable_metrics_twice_moves_the_endpoint_and_counts_once(tmp_path):
    first, second = free_port(), free_port()
    code = textwrap.dedent(f"""
        import urllib.request, urllib.error
        from agent_os_otel import enable_metrics, MetricsConfig, instruments
        a = enable_metrics(port={first})
        assert enable_metrics(port={first}) == a
        instruments.actions.add(1)
        b = enable_metrics(MetricsConfig(port={second}, namespace="ns", custom_labels={{"team": "t1"}},
                                         include_process_metrics=False))
        instruments.actions.add(1)
        body = urllib.request.urlopen(b).read().decode()
        try:
            urllib.request.urlopen(a, timeout=2)
            print("OLD ENDPOINT STILL UP")
        except OSError:
            pass
        print(body)
    """)
    result = run_python(tmp_path, code)
    assert result.returncode == 0, result.stderr
    assert "OLD ENDPOINT STILL UP" not in result.stdout
    lines = [l for l in result.stdout.splitlines() if l.startswith("ns_agent_os_actions_total")]
    assert len(lines) == 1 and lines[0].endswith(" 2.0") and 'team="t1"' in lines[0]
    assert "process_cpu_seconds_total" not in result.stdout
    assert "target_info" in result.stdout  # resource info keeps its standard name


def test_bad_metrics_config_in_code_raises_a_clear_error(tmp_path):
    code = textwrap.dedent("""
        from agent_os_otel import enable_metrics, ConfigError
        for bad in ({"port": 70000}, {"path": "metrics"}, {"namespace": "9x"}, {"custom_labels": {"bad-name": "v"}}):
            try:
                enable_metrics(**bad)
            except ConfigError as exc:
                print(exc)
    """)
    result = run_python(tmp_path, code)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("agent-os-otel: MetricsConfig.port=70000 is invalid") and "Fix: pass a port" in lines[0]
    assert "MetricsConfig.path='metrics'" in lines[1]
    assert "MetricsConfig.namespace='9x'" in lines[2]
    assert "MetricsConfig.custom_labels=" in lines[3]


def test_code_overrides_only_the_fields_it_names(tmp_path):
    code = textwrap.dedent("""
        import urllib.request
        from agent_os_otel import enable_metrics, instruments, doctor
        url = enable_metrics(port=0)
        instruments.actions.add(1)
        print(urllib.request.urlopen(url).read().decode())
        rows = {row["env"]: row for row in doctor.build_report().settings}
        print("SOURCES", rows["AGENT_OS_OTEL_PROMETHEUS_PORT"]["source"], rows["AGENT_OS_OTEL_METRICS_NAMESPACE"]["source"])
    """)
    result = run_python(tmp_path, code, AGENT_OS_OTEL_METRICS_NAMESPACE="from_env")
    assert result.returncode == 0, result.stderr
    assert "from_env_agent_os_actions_total" in result.stdout
    assert "SOURCES code env" in result.stdout
