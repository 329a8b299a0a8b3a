"""A real OTLP/gRPC receiver on loopback: the three OTLP collector services, storing what arrives.

It speaks the same protocol a collector does (opentelemetry-proto's service definitions over
grpcio), so the distro's real OTLP exporters are exercised end to end, bytes on the wire included.
"""

from __future__ import annotations

import threading
import time
from concurrent import futures

import grpc
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc


class OtlpReceiver:
    def __init__(self) -> None:
        self.traces: list = []
        self.metrics: list = []
        self.logs: list = []
        self.raw: list[bytes] = []  # every request as serialized on the wire, to search for leaks
        self._lock = threading.Lock()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        receiver = self

        class Traces(trace_service_pb2_grpc.TraceServiceServicer):
            def Export(self, request, context):  # noqa: N802 - gRPC method name
                receiver._keep(receiver.traces, request)
                return trace_service_pb2.ExportTraceServiceResponse()

        class Metrics(metrics_service_pb2_grpc.MetricsServiceServicer):
            def Export(self, request, context):  # noqa: N802
                receiver._keep(receiver.metrics, request)
                return metrics_service_pb2.ExportMetricsServiceResponse()

        class Logs(logs_service_pb2_grpc.LogsServiceServicer):
            def Export(self, request, context):  # noqa: N802
                receiver._keep(receiver.logs, request)
                return logs_service_pb2.ExportLogsServiceResponse()

        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Traces(), self._server)
        metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(Metrics(), self._server)
        logs_service_pb2_grpc.add_LogsServiceServicer_to_server(Logs(), self._server)
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def _keep(self, into: list, request) -> None:
        with self._lock:
            into.append(request)
            self.raw.append(request.SerializeToString())

    def __enter__(self) -> OtlpReceiver:
        self._server.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.stop(grace=None)

    def spans(self) -> list:
        return [span for request in self.traces for rs in request.resource_spans
                for ss in rs.scope_spans for span in ss.spans]

    def log_records(self) -> list:
        return [record for request in self.logs for rl in request.resource_logs
                for sl in rl.scope_logs for record in sl.log_records]

    def metric_names(self) -> set[str]:
        return {metric.name for request in self.metrics for rm in request.resource_metrics
                for sm in rm.scope_metrics for metric in sm.metrics}

    def wait_for(self, condition, timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.1)
        return condition()
