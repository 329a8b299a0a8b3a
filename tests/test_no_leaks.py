"""The secret corpus planted in span attributes, span events and log messages: 0 leaks anywhere."""

import json

from tests.support.run import clean_env, run_instrumented


def test_no_corpus_secret_leaves_the_process(tmp_path, receiver, secrets_corpus):
    texts = [entry["text"] for entry in secrets_corpus]
    env = clean_env(
        OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
        AGENT_OS_OTEL_PROMETHEUS_PORT="0",
        AGENT_OS_OTEL_LOG_OUTPUT="both",
        AGENT_OS_OTEL_LOG_FILE=str(tmp_path / "agent.log"),
        AGENT_TEST_PLANT=json.dumps(texts),
    )
    run = run_instrumented(tmp_path, env)
    assert run.returncode == 0, run.stderr
    assert receiver.wait_for(lambda: receiver.spans() and len(receiver.log_records()) >= len(texts))

    payload = b"".join(receiver.raw).decode("utf-8", "replace")
    log_file = (tmp_path / "agent.log").read_text()
    # the planted text did travel (redacted), so this test can fail
    assert payload.count("[REDACTED:") >= 3 * len(texts) - 5
    assert log_file.count("[REDACTED:") >= len(texts) - 5
    sinks = {"OTLP payloads": payload, "log file": log_file, "stdout": run.stdout, "stderr": run.stderr}
    leaks = [(sink, entry["kind"], entry["secret"]) for entry in secrets_corpus
             for sink, text in sinks.items() if entry["secret"] in text]
    assert leaks == []
