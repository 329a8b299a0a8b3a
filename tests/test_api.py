"""The programmatic API, as people who prefer code use it (plain python, no auto-instrumentation)."""

import json
import re
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from tests.support.run import run_python


def py(tmp_path, code, **env):
    result = run_python(tmp_path, textwrap.dedent(code), **env)
    assert result.returncode == 0, result.stderr
    return result


def test_tracer_start_span_is_current_and_parents_nested_spans(tmp_path):
    result = py(tmp_path, """
        from opentelemetry import trace
        from agent_os_otel import enable_tracing, tracer
        enable_tracing(exporter="console")
        with tracer.start_span("outer") as outer:
            outer.set_attribute("agent_os.agent.id", "a1")
            assert trace.get_current_span() is outer
            with tracer.start_span("inner"):
                pass
        try:
            with tracer.start_span("fails"):
                raise ValueError("boom")
        except ValueError:
            pass
        manual = tracer.start_span("manual")  # without `with`, it is an ordinary span
        manual.set_attribute("k", "v")
        manual.end()
    """)
    spans = {m.group(1): m.groupdict() for m in re.finditer(
        r"^\[span\] (?P<name>\S+) \S+ trace_id=(?P<trace>\S+) span_id=(?P<id>\S+) parent=(?P<parent>\S+) "
        r"status=(?P<status>\S+)(?P<attrs>.*)$", result.stderr, re.M)}
    assert set(spans) == {"outer", "inner", "fails", "manual"}
    assert spans["inner"]["parent"] == spans["outer"]["id"]
    assert spans["inner"]["trace"] == spans["outer"]["trace"]
    assert spans["outer"]["parent"] == "-"
    assert "agent_os.agent.id=a1" in spans["outer"]["attrs"]
    assert spans["fails"]["status"].startswith("ERROR")
    assert "k=v" in spans["manual"]["attrs"]


def test_enable_tracing_twice_exports_each_span_once(tmp_path, receiver):
    py(tmp_path, f"""
        from agent_os_otel import enable_tracing, tracer
        enable_tracing(service_name="svc", exporter="otlp", endpoint="{receiver.endpoint}")
        enable_tracing(service_name="svc", exporter="otlp", endpoint="{receiver.endpoint}")
        with tracer.start_span("only-once"):
            pass
    """)
    assert receiver.wait_for(lambda: receiver.spans())
    assert [s.name for s in receiver.spans()] == ["only-once"]
    resource = {a.key: a.value.string_value for a in receiver.traces[0].resource_spans[0].resource.attributes}
    assert resource["service.name"] == "svc"


def test_jaeger_means_otlp_and_legacy_thrift_endpoints_get_a_clear_message(tmp_path, receiver):
    py(tmp_path, f"""
        from agent_os_otel import enable_tracing, tracer
        enable_tracing(exporter="jaeger", endpoint="{receiver.endpoint}")
        with tracer.start_span("to-jaeger"):
            pass
    """)
    assert receiver.wait_for(lambda: receiver.spans())
    assert receiver.spans()[0].name == "to-jaeger"
    result = py(tmp_path, """
        from agent_os_otel import enable_tracing, ConfigError
        try:
            enable_tracing(exporter="jaeger", endpoint="http://localhost:14268/api/traces")
        except ConfigError as exc:
            print(exc)
    """)
    message = result.stdout.strip()
    assert "legacy Thrift over HTTP endpoint" in message
    assert "http://localhost:4317" in message and "http://localhost:4318/v1/traces" in message


def test_zipkin_exporter_posts_zipkin_json(tmp_path):
    # A stand-in that records POSTs, to check the wiring only; the real Zipkin server is
    # exercised by the collector's end-to-end tests.
    received = []

    class Sink(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append((self.path, json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
            self.send_response(202)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        py(tmp_path, f"""
            from agent_os_otel import enable_tracing, tracer
            enable_tracing(service_name="zsvc", exporter="zipkin",
                           endpoint="http://127.0.0.1:{server.server_port}/api/v2/spans")
            with tracer.start_span("to-zipkin"):
                pass
        """)
    finally:
        server.shutdown()
    assert received and received[0][0] == "/api/v2/spans"
    span = received[0][1][0]
    assert span["name"] == "to-zipkin" and span["localEndpoint"]["serviceName"] == "zsvc"


def test_sample_rate_and_propagators(tmp_path):
    result = py(tmp_path, """
        from opentelemetry import baggage, context, propagate
        from agent_os_otel import enable_tracing, tracer
        for name, rate, propagators in (("dropped", 0.0, ["tracecontext"]), ("kept", 1.0, ["tracecontext", "baggage"])):
            enable_tracing(exporter="console", sample_rate=rate, propagators=propagators)
            with tracer.start_span(name):
                carrier = {}
                token = context.attach(baggage.set_baggage("user", "u1"))
                propagate.inject(carrier)
                context.detach(token)
            print(sorted(carrier))
    """)
    assert "[span] dropped" not in result.stderr and "[span] kept" in result.stderr
    assert result.stdout.splitlines() == ["['traceparent']", "['baggage', 'traceparent']"]


def test_bad_tracing_settings_raise_one_clear_error(tmp_path):
    result = py(tmp_path, """
        from agent_os_otel import enable_tracing, ConfigError
        for bad in ({"sample_rate": 1.5}, {"propagators": ["nope"]}, {"exporter": "carrier-pigeon"}):
            try:
                enable_tracing(**bad)
            except ConfigError as exc:
                print(exc)
    """)
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert "sample_rate=1.5" in lines[0] and "0.0 to 1.0" in lines[0]
    assert "propagator 'nope' is unknown" in lines[1] and "tracecontext" in lines[1]
    assert "unknown traces exporter 'carrier-pigeon'" in lines[2] and "otlp_proto_grpc" in lines[2]


def test_foreign_providers_are_left_alone(tmp_path):
    result = py(tmp_path, """
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        trace.set_tracer_provider(TracerProvider())
        from agent_os_otel import enable_tracing, enable_metrics
        from opentelemetry import metrics
        from opentelemetry.sdk.metrics import MeterProvider
        metrics.set_meter_provider(MeterProvider())
        print(enable_tracing(exporter="console"), enable_metrics(port=0))
    """)
    assert result.stdout.strip() == "[] None"
    assert "TracerProvider was already set by other code" in result.stderr
    assert "MeterProvider was already set by other code" in result.stderr
