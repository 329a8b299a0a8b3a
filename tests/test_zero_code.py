"""`opentelemetry-instrument python program.py` with our distro, as a user runs it."""


from tests.support.run import ROOT, clean_env, free_port, run_instrumented

QUICKSTART = ROOT / "examples" / "quickstart.py"


def test_quickstart_sends_spans_metrics_and_correlated_logs_over_otlp(tmp_path, receiver):
    env = clean_env(OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint, OTEL_METRIC_EXPORT_INTERVAL="500",
                    AGENT_OS_OTEL_PROMETHEUS_PORT="0")
    run = run_instrumented(tmp_path, env, program=QUICKSTART)
    assert run.returncode == 0, run.stderr
    assert f"collector configured (OTEL_EXPORTER_OTLP_ENDPOINT={receiver.endpoint})" in run.startup_line()

    assert receiver.wait_for(lambda: len(receiver.spans()) >= 6 and receiver.log_records())
    spans = receiver.spans()
    by_id = {span.span_id: span for span in spans}
    executes = [s for s in spans if s.name == "agent.execute"]
    policies = [s for s in spans if s.name == "policy.evaluate"]
    assert len(executes) == 3 and len(policies) == 3
    assert all(by_id[p.parent_span_id].name == "agent.execute" for p in policies)

    assert {"agent_os.actions", "agent_os.action.duration", "agent_os.policy.evaluations"} <= receiver.metric_names()

    records = [r for r in receiver.log_records() if "on " in r.body.string_value]
    assert len(records) == 3
    execute_by_trace = {s.trace_id: s for s in executes}
    for record in records:
        assert record.trace_id in execute_by_trace, "log record does not carry its span's trace id"
        assert record.span_id == execute_by_trace[record.trace_id].span_id
        attributes = {a.key: a.value.string_value for a in record.attributes}
        assert attributes["agent_id"] in ("researcher", "writer")
    service = {a.key: a.value.string_value for a in receiver.traces[0].resource_spans[0].resource.attributes}
    assert service["service.name"] == "agent-os"


def test_no_collector_gives_local_signals_and_one_startup_line(tmp_path):
    port = free_port()
    run = run_instrumented(tmp_path, clean_env(AGENT_OS_OTEL_PROMETHEUS_PORT=str(port)),
                           program=QUICKSTART, scrape=(f"http://127.0.0.1:{port}/metrics",))
    assert run.returncode == 0, run.stderr
    line = run.startup_line()
    assert "no collector configured" in line
    assert f"metrics -> http://127.0.0.1:{port}/metrics" in line
    assert "traces -> stderr" in line and "logs -> stdout (json)" in line
    assert "OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317" in line
    assert sum(1 for l in run.stderr.splitlines() if l.startswith("[span] agent.execute")) == 3
    assert len([r for r in run.json_logs() if r["logger"] == "quickstart"]) == 4
    status, body = run.scrapes[f"http://127.0.0.1:{port}/metrics"]
    assert status == 200 and "agent_os_actions_total" in body
    assert "Traceback" not in run.stderr


def test_collector_down_means_no_stack_traces_and_a_normal_exit(tmp_path):
    closed = f"http://127.0.0.1:{free_port()}"
    env = clean_env(OTEL_EXPORTER_OTLP_ENDPOINT=closed, OTEL_EXPORTER_OTLP_TIMEOUT="1",
                    AGENT_OS_OTEL_PROMETHEUS_PORT="0")
    run = run_instrumented(tmp_path, env, program=QUICKSTART)
    assert run.returncode == 0
    assert "Traceback" not in run.stderr + run.stdout
    assert len([r for r in run.json_logs() if r["logger"] == "quickstart"]) == 4, "the program's own logs survive"


def test_user_otel_variables_beat_the_distro_defaults(tmp_path):
    env = clean_env(OTEL_TRACES_EXPORTER="console", OTEL_SERVICE_NAME="from-user",
                    AGENT_OS_OTEL_SERVICE_NAME="from-agent-os", AGENT_OS_OTEL_PROMETHEUS_PORT="0")
    run = run_instrumented(tmp_path, env)
    assert run.returncode == 0, run.stderr
    # the SDK's console exporter (multi-line JSON on stdout), not our one-line default on stderr
    assert '"name": "agent.execute"' in run.stdout
    assert "[span]" not in run.stderr
    assert run.facts["service_name"] == "from-user"


def test_otel_python_distro_selects_ours_among_several(tmp_path, second_distro):
    base = dict(PYTHONPATH=str(second_distro), AGENT_OS_OTEL_PROMETHEUS_PORT="0")
    ours = run_instrumented(tmp_path, clean_env(OTEL_PYTHON_DISTRO="agent_os_otel", **base))
    assert ours.returncode == 0, ours.stderr
    assert "no collector configured" in ours.startup_line()
    assert "[span] agent.execute" in ours.stderr

    stock = run_instrumented(tmp_path, clean_env(OTEL_PYTHON_DISTRO="distro", OTEL_PYTHON_CONFIGURATOR="configurator",
                                                 OTEL_TRACES_EXPORTER="console", **base))
    assert stock.returncode == 0, stock.stderr
    assert "traces ->" not in stock.stderr, "the stock distro must not print our start-up line"


def test_enable_calls_after_auto_instrumentation_do_not_double_export(tmp_path, receiver):
    program = tmp_path / "again.py"
    program.write_text(
        "import sys\n"
        "from agent_os_otel import enable_metrics, enable_tracing, configure_logging, tracer\n"
        f"enable_tracing(exporter='otlp', endpoint='{receiver.endpoint}')\n"
        f"enable_tracing(exporter='otlp', endpoint='{receiver.endpoint}')\n"
        "enable_metrics(port=0); enable_metrics(port=0)\n"
        "configure_logging(); configure_logging()\n"
        "import logging\n"
        "with tracer.start_span('once'):\n"
        "    logging.getLogger('again').info('logged once')\n"
        "open(sys.argv[1], 'w').write('{}')\n"
    )
    env = clean_env(OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint, AGENT_OS_OTEL_PROMETHEUS_PORT="0")
    run = run_instrumented(tmp_path, env, program=program)
    assert run.returncode == 0, run.stderr
    assert receiver.wait_for(lambda: receiver.spans() and receiver.log_records())
    assert [s.name for s in receiver.spans()] == ["once"]
    assert [r.body.string_value for r in receiver.log_records()] == ["logged once"]
    assert sum('"logged once"' in line for line in run.stdout.splitlines()) == 1
