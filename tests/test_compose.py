"""docker-compose.yml, checked without a Docker engine: it is valid Compose (the vendored compose-spec
JSON Schema), every file it and its Dockerfiles reference exists, and the ports and endpoints agree
with collector/config.yaml, deploy/prometheus.yml, Grafana's provisioning and alerts/alertmanager.yml."""

import copy
import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator

from agent_os_otel import alerting

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES = COMPOSE["services"]
COLLECTOR_CONFIG = (ROOT / "collector" / "config.yaml").read_text()
PROMETHEUS = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
# ${env:NAME:-default} in collector/config.yaml
CONFIG_DEFAULTS = dict(re.findall(r"\$\{env:(\w+):-([^}]*)\}", COLLECTOR_CONFIG))


def schema_errors(document: dict) -> list[str]:
    schema = json.loads((ROOT / "tests" / "support" / "compose-spec.json").read_text())
    errors = Draft7Validator(schema).iter_errors(document)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


def bind_mounts(service: str) -> dict[str, Path]:
    """Container path -> repository path of a service's bind mounts (./ sources)."""
    mounts = {}
    for volume in SERVICES[service].get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith("."):
            mounts[target] = ROOT / source
    return mounts


def container_ports(service: str) -> set[int]:
    return {int(str(port).rsplit(":", 1)[-1]) for port in SERVICES[service].get("ports", [])}


def host_port(endpoint: str) -> tuple[str, int]:
    host, port = re.sub(r"^\w+://", "", endpoint).split("/")[0].rsplit(":", 1)
    return host, int(port)


def flag(service: str, name: str) -> str:
    return next(arg.split("=", 1)[1] for arg in SERVICES[service]["command"] if arg.startswith(f"--{name}="))


def test_compose_file_is_valid_compose():
    assert schema_errors(COMPOSE) == []


def test_the_schema_check_catches_a_broken_file():
    broken = copy.deepcopy(COMPOSE)
    broken["services"]["collector"]["biuld"] = broken["services"]["collector"].pop("build")  # a typo
    broken["services"]["grafana"]["ports"] = "3000:3000"  # not a list
    errors = schema_errors(broken)
    assert "services/collector: 'biuld' does not match any of the regexes: '^x-'" in errors
    assert "services/grafana/ports: '3000:3000' is not of type 'array'" in errors


def test_variable_references_are_ones_compose_can_interpolate():
    # Compose rejects a lone $ ("invalid interpolation format"); $$ is a literal dollar.
    text = "\n".join(line.split(" #")[0] for line in COMPOSE_TEXT.splitlines() if not line.lstrip().startswith("#"))
    bad = re.findall(r"\$(?!\w|\{\w+(?::?[-?+][^}]*)?\})", text.replace("$$", ""))
    assert bad == []
    assert re.findall(r"\$\{(\w+):\?", text) == ["AGENTOS_AUDIT_KEY"]  # the one value a user must set


def dockerfile_sources(context: Path, dockerfile: Path) -> list[Path]:
    """COPY/ADD sources of a Dockerfile that come from the build context."""
    sources = []
    for line in dockerfile.read_text().splitlines():
        parts = line.split()
        if parts[:1] in (["COPY"], ["ADD"]) and not any(p.startswith("--from=") for p in parts):
            sources += [context / p for p in parts[1:-1] if not p.startswith("--")]
    return sources


def test_every_referenced_file_exists():
    referenced = []
    for name, service in SERVICES.items():
        if "build" in service:
            context = ROOT / service["build"]["context"]
            dockerfile = context / service["build"].get("dockerfile", "Dockerfile")
            referenced += [context, dockerfile]
            if dockerfile.exists():
                referenced += dockerfile_sources(context, dockerfile)
        referenced += bind_mounts(name).values()
    missing = [str(path.relative_to(ROOT)) for path in referenced if not path.exists()]
    assert missing == []
    assert len(referenced) > 10
    assert sorted((ROOT / "dashboards").glob("*.json")), "Grafana would provision no dashboards"


def test_collector_listens_on_all_interfaces_at_the_ports_its_config_defaults_to():
    env = SERVICES["collector"]["environment"]
    unknown = {name for name in env if name.startswith("AGENTOS_")} - set(CONFIG_DEFAULTS) - {"AGENTOS_AUDIT_KEY"}
    assert unknown == set(), "collector/config.yaml reads no such variable"
    assert "key_env: AGENTOS_AUDIT_KEY" in COLLECTOR_CONFIG
    listeners = ["AGENTOS_OTLP_GRPC_ENDPOINT", "AGENTOS_OTLP_HTTP_ENDPOINT", "AGENTOS_PROMETHEUS_ENDPOINT",
                 "AGENTOS_HEALTH_ENDPOINT"]
    for name in listeners:
        assert host_port(env[name]) == ("0.0.0.0", host_port(CONFIG_DEFAULTS[name])[1]), name
    assert env["AGENTOS_COLLECTOR_METRICS_HOST"] == "0.0.0.0"
    assert env["AGENTOS_COLLECTOR_METRICS_PORT"] == CONFIG_DEFAULTS["AGENTOS_COLLECTOR_METRICS_PORT"]

    otlp = {host_port(env[name])[1] for name in listeners[:2]}
    assert container_ports("collector") == otlp == {4317, 4318}  # published for agents on the host
    expose = re.search(r"^EXPOSE (.+)$", (ROOT / "collector" / "Dockerfile").read_text(), re.M)[1]
    exposed = {int(port) for port in expose.split()}
    assert {host_port(env[name])[1] for name in listeners} | {int(env["AGENTOS_COLLECTOR_METRICS_PORT"])} == exposed


def test_traces_go_to_the_jaeger_and_zipkin_services():
    env = SERVICES["collector"]["environment"]
    assert host_port(env["AGENTOS_JAEGER_OTLP_ENDPOINT"]) == ("jaeger", 4317)  # Jaeger v2's OTLP/gRPC
    assert env["AGENTOS_ZIPKIN_ENDPOINT"] == "http://zipkin:9411/api/v2/spans"
    assert 9411 in container_ports("zipkin") and 16686 in container_ports("jaeger")
    assert {"jaeger", "zipkin"} <= set(SERVICES["collector"]["depends_on"])


def test_the_example_sends_otlp_to_the_collector():
    example = SERVICES["example"]
    env = example["environment"]
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://collector:" + SERVICES["collector"]["environment"][
        "AGENTOS_OTLP_GRPC_ENDPOINT"].rsplit(":", 1)[1]
    command = (ROOT / example["build"]["dockerfile"]).read_text()
    assert '"opentelemetry-instrument", "python", "examples/agent_os_agent.py"' in command
    assert env["AGENT_OS_OTEL_PROMETHEUS_ENABLED"] == "false"  # one source per series: the collector


def test_prometheus_scrapes_the_collector_and_alerts_through_alertmanager():
    env = SERVICES["collector"]["environment"]
    jobs = {job["job_name"]: job for job in PROMETHEUS["scrape_configs"]}
    targets = {job: [t for c in jobs[job]["static_configs"] for t in c["targets"]] for job in jobs}
    assert targets == {
        "agentos-collector": ["collector:" + env["AGENTOS_PROMETHEUS_ENDPOINT"].rsplit(":", 1)[1]],
        "otelcol": ["collector:" + env["AGENTOS_COLLECTOR_METRICS_PORT"]],
    }
    assert jobs["agentos-collector"]["honor_labels"] is True  # the rules group by the agents' job

    (alertmanager,) = [t for am in PROMETHEUS["alerting"]["alertmanagers"] for c in am["static_configs"]
                       for t in c["targets"]]
    listen = flag("alertmanager", "web.listen-address") if any(
        a.startswith("--web.listen-address") for a in SERVICES["alertmanager"]["command"]) else ":9093"
    assert alertmanager == "alertmanager" + listen
    assert host_port(alertmanager)[1] in container_ports("alertmanager")
    assert bind_mounts("prometheus")[flag("prometheus", "config.file")] == ROOT / "deploy" / "prometheus.yml"


def test_prometheus_config_with_its_mounted_rules_passes_promtool(tmp_path):
    mounts = bind_mounts("prometheus")
    unmounted = [f for f in PROMETHEUS["rule_files"] if f not in mounts]
    assert unmounted == [], "rule files Prometheus would not find in its container"
    local = {**PROMETHEUS, "rule_files": [str(mounts[f]) for f in PROMETHEUS["rule_files"]]}
    assert [mounts[f] for f in PROMETHEUS["rule_files"]] == [ROOT / "alerts" / "prometheus-alerts.yml"]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(local))
    done = subprocess.run(["promtool", "check", "config", str(tmp_path / "prometheus.yml")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout + done.stderr


def test_grafana_provisions_the_prometheus_service_and_the_dashboards():
    mounts = bind_mounts("grafana")
    provisioning = mounts["/etc/grafana/provisioning"]
    (datasource,) = [d for f in (provisioning / "datasources").glob("*.yml")
                     for d in yaml.safe_load(f.read_text())["datasources"]]
    assert datasource["type"] == "prometheus" and datasource["isDefault"] is True
    assert host_port(datasource["url"]) == ("prometheus", 9090) and 9090 in container_ports("prometheus")
    (provider,) = [p for f in (provisioning / "dashboards").glob("*.yml")
                   for p in yaml.safe_load(f.read_text())["providers"]]
    assert mounts[provider["options"]["path"]] == ROOT / "dashboards"


def test_alertmanager_reads_the_config_and_the_key_secret_where_the_configs_say():
    service = SERVICES["alertmanager"]
    config_path = flag("alertmanager", "config.file")
    assert bind_mounts("alertmanager")[config_path] == ROOT / "alerts" / "alertmanager.yml"
    (secret,) = service["secrets"]
    assert COMPOSE["secrets"][secret["source"]] == {"environment": "PAGERDUTY_ROUTING_KEY"}  # never a committed file
    config = yaml.safe_load((ROOT / "alerts" / "alertmanager.yml").read_text())
    key_files = {pd["routing_key_file"] for r in config["receivers"] for pd in r.get("pagerduty_configs", [])}
    assert key_files == {secret["target"]} == {alerting.DEFAULT_KEY_FILE}  # AlertConfig's output fits too


def test_dockerfile_builds_with_the_ocb_version_the_manifest_pins():
    dockerfile = (ROOT / "collector" / "Dockerfile").read_text()
    ocb = re.search(r"^ARG OCB_VERSION=(\S+)$", dockerfile, re.M)[1]
    manifest = yaml.safe_load((ROOT / "collector" / "manifest.yaml").read_text())
    core = {m["gomod"].split()[1] for kind in ("receivers", "processors", "exporters", "connectors")
            for m in manifest[kind] if m["gomod"].startswith("go.opentelemetry.io/collector/")}
    assert core == {ocb}
    assert re.search(r"^OCB_VERSION=(\S+)", (ROOT / "scripts" / "build-collector.sh").read_text(), re.M)[1] == ocb
    binary = f"{manifest['dist']['output_path'].removeprefix('./')}/{manifest['dist']['name']}"
    assert f"COPY --from=build /src/collector/{binary} " in dockerfile


@pytest.mark.parametrize("service", ["prometheus", "alertmanager", "grafana", "jaeger", "zipkin"])
def test_images_are_pinned(service):
    assert re.fullmatch(r"[\w./-]+:v?\d+\.\d+\.\d+", SERVICES[service]["image"])
