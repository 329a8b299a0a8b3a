"""Structured logs over stdlib logging: JSON or text, stdout/file/both, trace ids, agent fields."""

import json
import re
import textwrap

from tests.support.run import run_python

RFC3339_MS_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

PROGRAM = """
import logging
from agent_os_otel import configure_logging, enable_tracing, LoggingConfig, tracer
enable_tracing(exporter="none")
configure_logging(LoggingConfig({config}))
log = logging.getLogger("agent")
with tracer.start_span("work") as span:
    log.info("decided %s", "allow", extra={{"agent_id": "a1", "action": "search", "resource": "web",
                                           "decision": "allow", "duration_ms": 12.5}})
    ids = span.get_span_context()
    print("IDS", format(ids.trace_id, "032x"), format(ids.span_id, "016x"))
log.warning("outside")
try:
    1 / 0
except ZeroDivisionError:
    log.exception("failed")
"""


def run(tmp_path, config=""):
    result = run_python(tmp_path, textwrap.dedent(PROGRAM.format(config=config)))
    assert result.returncode == 0, result.stderr
    ids = next(line.split()[1:] for line in result.stdout.splitlines() if line.startswith("IDS"))
    return result, ids


def test_json_lines_carry_time_level_trace_ids_and_agent_fields(tmp_path):
    result, (trace_id, span_id) = run(tmp_path)
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    inside, outside, failed = records
    assert RFC3339_MS_UTC.match(inside["timestamp"])
    assert inside["level"] == "INFO" and inside["logger"] == "agent" and inside["message"] == "decided allow"
    assert (inside["trace_id"], inside["span_id"]) == (trace_id, span_id)
    assert {k: inside[k] for k in ("agent_id", "action", "resource", "decision", "duration_ms")} == {
        "agent_id": "a1", "action": "search", "resource": "web", "decision": "allow", "duration_ms": 12.5}
    assert "trace_id" not in outside and outside["level"] == "WARNING"
    assert "ZeroDivisionError" in failed["exception"]


def test_text_format_to_a_file_and_stdout(tmp_path):
    result, (trace_id, _) = run(tmp_path, 'format="text", output="both", file_path="agent.log"')
    in_file = (tmp_path / "agent.log").read_text().splitlines()
    on_stdout = [line for line in result.stdout.splitlines() if not line.startswith("IDS")]
    assert in_file[:2] == on_stdout[:2]
    assert re.match(r"^\S+Z INFO +agent: decided allow +\[trace_id=" + trace_id, in_file[0])
    assert "agent_id=a1" in in_file[0] and "duration_ms=12.5" in in_file[0]


def test_trace_ids_can_be_left_out(tmp_path):
    result, _ = run(tmp_path, "include_trace_ids=False")
    assert all("trace_id" not in json.loads(l) for l in result.stdout.splitlines() if l.startswith("{"))


def test_the_programs_own_basicconfig_still_wins(tmp_path):
    result = run_python(tmp_path, textwrap.dedent("""
        import logging, sys
        from agent_os_otel import configure_logging
        configure_logging()
        logging.basicConfig(stream=sys.stdout, level=logging.DEBUG, format="MINE %(levelname)s %(message)s")
        logging.getLogger("x").debug("hello")
    """))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "MINE DEBUG hello"


def test_bad_logging_config_in_code_raises_a_clear_error(tmp_path):
    result = run_python(tmp_path, textwrap.dedent("""
        from agent_os_otel import configure_logging, ConfigError
        for bad in ({"format": "xml"}, {"output": "printer"}, {"level": "LOUD"}, {"output": "file", "file_path": "/no/dir/x.log"}):
            try:
                configure_logging(**bad)
            except ConfigError as exc:
                print(exc)
    """))
    lines = result.stdout.splitlines()
    assert len(lines) == 4, result.stdout + result.stderr
    assert "LoggingConfig.format='xml'" in lines[0] and "json or text" in lines[0]
    assert "LoggingConfig.output='printer'" in lines[1]
    assert "LoggingConfig.level='LOUD'" in lines[2]
    assert "cannot open log file '/no/dir/x.log'" in lines[3]
