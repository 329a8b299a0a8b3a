"""The local stack, started natively on loopback: our collector, a Zipkin server, Prometheus.

Each is the real program (the collector built from collector/manifest.yaml, the Zipkin exec jar
from Maven Central, Debian's prometheus), on free ports, stopped afterwards. `make demo` and the
end-to-end tests both use it. A part that cannot start raises with the tail of its log: tests that
need it fail loudly, they never skip.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ZIPKIN_JAR = ROOT / ".tools" / "zipkin-server-3.6.1-exec.jar"
COLLECTOR = ROOT / "collector" / "_build" / "otelcol-agentos"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(url: str, timeout: float = 3.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except OSError as exc:
        return 0, str(exc)


def wait_until(condition, timeout: float, what: str, log: Path | None = None):
    """The first truthy value of condition(), polled until timeout; else an error with the log's tail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    value = condition()
    if value:
        return value
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise RuntimeError(f"{what} did not come up within {timeout:.0f}s\n{tail}")


class Process:
    """A server process with its output in a log file; stop() is graceful, kill() is kill -9."""

    def __init__(self, command: list[str], log: Path, env: dict | None = None, cwd: Path | None = None) -> None:
        self.command, self.log, self.env, self.cwd = command, log, env, cwd
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(self.command, stdout=out, stderr=subprocess.STDOUT, env=self.env,
                                            cwd=self.cwd, start_new_session=True)

    def stop(self, timeout: float = 20) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


class Zipkin(Process):
    def __init__(self, workdir: Path) -> None:
        if not ZIPKIN_JAR.exists():
            raise RuntimeError(f"{ZIPKIN_JAR} is missing: run scripts/fetch-zipkin.sh (make test does)")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(["java", "-Xmx384m", "-jar", str(ZIPKIN_JAR), f"--armeria.ports[0].port={self.port}",
                          "--armeria.ports[0].ip=127.0.0.1", "--armeria.ports[0].protocols=http"],
                         workdir / "zipkin.log", env={**os.environ, "QUERY_PORT": str(self.port)})

    def start(self) -> None:
        super().start()
        wait_until(lambda: http_get(f"{self.url}/health")[0] == 200, 90, "Zipkin", self.log)

    def traces(self, service: str, limit: int = 1000) -> list[list[dict]]:
        query = urllib.parse.urlencode({"serviceName": service, "limit": limit, "lookback": 3_600_000})
        status, body = http_get(f"{self.url}/api/v2/traces?{query}")
        return json.loads(body) if status == 200 else []


class Prometheus(Process):
    def __init__(self, workdir: Path, targets: list[str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = workdir / "prometheus.yml"
        config.write_text(json.dumps({  # JSON is YAML
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "scrape_configs": [{"job_name": "agents", "static_configs": [{"targets": targets}]}],
        }))
        super().__init__(["prometheus", f"--config.file={config}", f"--web.listen-address=127.0.0.1:{self.port}",
                          f"--storage.tsdb.path={workdir / 'prometheus-data'}"], workdir / "prometheus.log")

    def start(self) -> None:
        super().start()
        wait_until(lambda: http_get(f"{self.url}/-/ready")[0] == 200, 60, "Prometheus", self.log)

    def query(self, promql: str) -> list[dict]:
        status, body = http_get(f"{self.url}/api/v1/query?{urllib.parse.urlencode({'query': promql})}")
        if status != 200:
            raise RuntimeError(f"Prometheus query {promql!r} failed: {status} {body[:300]}")
        return json.loads(body)["data"]["result"]

    def value(self, promql: str) -> float | None:
        result = self.query(promql)
        return float(result[0]["value"][1]) if result else None


class Collector(Process):
    """otelcol-agentos with collector/config.yaml; every address and path from AGENTOS_* variables."""

    def __init__(self, workdir: Path, audit_key: str, config: Path = ROOT / "collector" / "config.yaml",
                 zipkin_url: str = "", jaeger_endpoint: str = "", **extra_env: str) -> None:
        if not COLLECTOR.exists():
            raise RuntimeError(f"{COLLECTOR} is missing: run make collector (make test and make demo do)")
        self.grpc, self.http, self.prometheus, self.health = (free_port() for _ in range(4))
        self.audit_path = workdir / "audit" / "audit.jsonl"
        self.log_path = workdir / "logs" / "agent-logs.jsonl"
        (workdir / "storage").mkdir(parents=True, exist_ok=True)
        env = {**os.environ,
               "AGENTOS_OTLP_GRPC_ENDPOINT": f"127.0.0.1:{self.grpc}",
               "AGENTOS_OTLP_HTTP_ENDPOINT": f"127.0.0.1:{self.http}",
               "AGENTOS_PROMETHEUS_ENDPOINT": f"127.0.0.1:{self.prometheus}",
               "AGENTOS_HEALTH_ENDPOINT": f"127.0.0.1:{self.health}",
               "AGENTOS_COLLECTOR_METRICS_PORT": str(free_port()),
               "AGENTOS_AUDIT_PATH": str(self.audit_path),
               "AGENTOS_AUDIT_KEY": audit_key,
               "AGENTOS_LOG_PATH": str(self.log_path),
               "AGENTOS_STORAGE_DIR": str(workdir / "storage"),
               # no Jaeger runs here unless given: its exporter then retries quietly (see collector/README.md)
               "AGENTOS_JAEGER_OTLP_ENDPOINT": jaeger_endpoint or f"127.0.0.1:{free_port()}",
               "AGENTOS_ZIPKIN_ENDPOINT": zipkin_url or f"http://127.0.0.1:{free_port()}/api/v2/spans",
               **extra_env}
        super().__init__([str(COLLECTOR), f"--config={config}"], workdir / "collector.log", env=env, cwd=workdir)

    def start(self) -> None:
        super().start()
        wait_until(lambda: http_get(f"http://127.0.0.1:{self.health}/")[0] == 200, 60, "the collector", self.log)

    @property
    def otlp(self) -> str:
        return f"http://127.0.0.1:{self.grpc}"


JAEGER = ROOT / ".tools" / "bin" / "jaeger"
JAEGER_CONFIG = """
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces: {receivers: [otlp], exporters: [jaeger_storage_exporter]}
  telemetry:
    metrics: {level: none}
receivers:
  otlp:
    protocols:
      grpc: {endpoint: "127.0.0.1:%(otlp)d"}
extensions:
  jaeger_storage:
    backends:
      memstore: {memory: {max_traces: 100000}}
  jaeger_query:
    storage: {traces: memstore}
    grpc: {endpoint: "127.0.0.1:%(query_grpc)d"}
    http: {endpoint: "127.0.0.1:%(query_http)d"}
exporters:
  jaeger_storage_exporter: {trace_storage: memstore}
"""


class Jaeger(Process):
    """Jaeger v2 (built by scripts/build-jaeger.sh), in-memory storage, OTLP in, query API out."""

    def __init__(self, workdir: Path) -> None:
        if not JAEGER.exists():
            raise RuntimeError(f"{JAEGER} is missing: run scripts/build-jaeger.sh (make tools does)")
        self.otlp_port, query_grpc, self.query_port = free_port(), free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.query_port}"
        config = workdir / "jaeger.yaml"
        config.write_text(JAEGER_CONFIG % {"otlp": self.otlp_port, "query_grpc": query_grpc,
                                           "query_http": self.query_port})
        super().__init__([str(JAEGER), f"--config={config}"], workdir / "jaeger.log")

    def start(self) -> None:
        super().start()
        wait_until(lambda: http_get(f"{self.url}/api/services")[0] == 200, 60, "Jaeger", self.log)

    @property
    def otlp(self) -> str:
        return f"127.0.0.1:{self.otlp_port}"

    def traces(self, service: str) -> list[dict]:
        status, body = http_get(f"{self.url}/api/traces?{urllib.parse.urlencode({'service': service, 'limit': 100})}")
        return json.loads(body).get("data") or [] if status == 200 else []
