"""The optional YAML config file (AGENT_OS_OTEL_CONFIG): validated by the shipped JSON Schema."""

import textwrap

from agent_os_otel import catalogue, settings
from tests.support.run import clean_env, free_port, run_instrumented


def load(tmp_path, text: str, **env) -> settings.Settings:
    path = tmp_path / "agent-os-otel.yaml"
    path.write_text(textwrap.dedent(text))
    return settings.load({"AGENT_OS_OTEL_CONFIG": str(path), **env})


def test_file_values_apply_and_say_where_they_came_from(tmp_path):
    loaded = load(tmp_path, """
        service_name: billing
        metrics:
          namespace: team_a
          prometheus: {port: 9999, path: /m}
          custom_labels: {team: search}
        logging: {level: debug, format: text}
        redaction: {patterns: ["acct-[0-9]{8}"]}
    """)
    assert loaded.errors == []
    assert loaded[catalogue.AGENT_OS_OTEL_METRICS_NAMESPACE] == "team_a"
    assert loaded[catalogue.AGENT_OS_OTEL_PROMETHEUS_PORT] == 9999
    assert loaded[catalogue.AGENT_OS_OTEL_METRICS_LABELS] == {"team": "search"}
    assert loaded[catalogue.AGENT_OS_OTEL_REDACTION_PATTERNS] == ["acct-[0-9]{8}"]
    assert loaded.source(catalogue.AGENT_OS_OTEL_PROMETHEUS_PATH).source == "file"
    assert loaded.source(catalogue.AGENT_OS_OTEL_LOG_OUTPUT).source == "default"


def test_environment_overrides_the_file(tmp_path):
    loaded = load(tmp_path, "metrics: {prometheus: {port: 9999}}\n", AGENT_OS_OTEL_PROMETHEUS_PORT="9100")
    assert loaded[catalogue.AGENT_OS_OTEL_PROMETHEUS_PORT] == 9100
    assert loaded.source(catalogue.AGENT_OS_OTEL_PROMETHEUS_PORT).source == "env"


def test_errors_name_the_key_path_and_the_fix_and_keep_the_good_keys(tmp_path):
    loaded = load(tmp_path, """
        metrics:
          prometheus: {port: "abc", prot: 1}
          namespace: ok_ns
        logging: {output: printer}
    """)
    joined = "\n".join(loaded.errors)
    assert len(loaded.errors) == 3, joined
    assert "metrics.prometheus.port: 'abc' is not of type 'integer'. Fix: set metrics.prometheus.port to a port" in joined
    assert "metrics.prometheus: unknown key(s) prot. Fix: use one of: enabled, host, path, port" in joined
    assert "logging.output: 'printer' is not one of" in joined
    assert loaded[catalogue.AGENT_OS_OTEL_PROMETHEUS_PORT] == 9464, "bad value falls back to the default"
    assert loaded[catalogue.AGENT_OS_OTEL_METRICS_NAMESPACE] == "ok_ns", "good keys still apply"


def test_unreadable_or_broken_file_is_one_clear_error(tmp_path):
    missing = settings.load({"AGENT_OS_OTEL_CONFIG": str(tmp_path / "nope.yaml")})
    assert len(missing.errors) == 1 and "cannot read the config file" in missing.errors[0]
    assert "AGENT_OS_OTEL_CONFIG" in missing.errors[0]
    broken = load(tmp_path, "metrics: [unclosed\n")
    assert len(broken.errors) == 1 and "not valid YAML at line" in broken.errors[0]


def test_bad_pattern_in_file_names_the_key(tmp_path):
    loaded = load(tmp_path, 'redaction: {patterns: ["(oops"]}\n')
    assert len(loaded.errors) == 1
    assert "redaction.patterns: pattern '(oops' does not compile" in loaded.errors[0]


def test_file_takes_effect_under_opentelemetry_instrument(tmp_path):
    port = free_port()
    (tmp_path / "cfg.yaml").write_text(f"metrics: {{namespace: from_file, prometheus: {{port: {port}}}}}\n")
    run = run_instrumented(tmp_path, clean_env(AGENT_OS_OTEL_CONFIG=str(tmp_path / "cfg.yaml")),
                           scrape=(f"http://127.0.0.1:{port}/metrics",))
    assert run.returncode == 0, run.stderr
    status, body = run.scrapes[f"http://127.0.0.1:{port}/metrics"]
    assert status == 200 and "from_file_agent_os_actions_total" in body
