"""The Grafana dashboards: the committed JSON is what dashboards/generate.py writes, each file imports
through Grafana's import screen, and every panel shows data when a real Prometheus scrapes our collector
fed by real workloads (the Agent OS example and LangChain model calls, under opentelemetry-instrument)."""

import importlib.util
import json
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from agent_os_otel import catalogue
from scripts.local_stack import Collector, Prometheus, http_get, wait_until
from tests.support.run import ROOT, clean_env, run_instrumented

DASHBOARDS = ROOT / "dashboards"
PROGRAMS = ROOT / "tests" / "programs"
ROUNDS = 4
REGENERATE = ".venv/bin/python dashboards/generate.py"
# What Grafana puts in place of its interval macros; 1m spans the whole workload in this test.
MACRO = re.compile(r"\$(?:\{__(?:rate_interval|interval|range)\}|__(?:rate_interval|interval|range)\b)")


def generator():
    spec = importlib.util.spec_from_file_location("dashboards_generate", DASHBOARDS / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


def committed() -> dict[str, dict]:
    return {path.name: json.loads(path.read_text()) for path in sorted(DASHBOARDS.glob("*.json"))}


def prometheus_name(spec: catalogue.MetricSpec) -> str:
    """The name the collector's prometheus exporter gives (UnderscoreEscapingWithSuffixes)."""
    name = spec.name.replace(".", "_")
    name += {"s": "_seconds", "By": "_bytes"}.get(spec.unit, "")
    return name + ("_total" if spec.kind == "counter" else "")


def panels(dashboard: dict):
    for panel in dashboard["panels"]:
        yield from panel.get("panels", [])  # a row's panels
        if panel["type"] != "row":
            yield panel


def test_the_committed_json_is_the_generators_output():
    gen = generator()
    wanted = {f"{name}.json": gen.render(name) for name in gen.DASHBOARDS}
    on_disk = {path.name: path.read_text() for path in DASHBOARDS.glob("*.json")}
    stale = sorted(name for name in wanted if on_disk.get(name) != wanted[name])
    unknown = sorted(set(on_disk) - set(wanted))
    assert not stale, (f"dashboards/{', dashboards/'.join(stale)} do not match what dashboards/generate.py writes: "
                       f"edit the generator, not the JSON, and regenerate with `{REGENERATE}`")
    assert not unknown, f"dashboards/{unknown} are not written by dashboards/generate.py: delete or generate them"
    assert len(wanted) == 5


def test_each_dashboard_imports_with_a_prometheus_input_and_sets_units_and_refresh():
    dashboards = committed()
    assert len({d["uid"] for d in dashboards.values()}) == len(dashboards)
    for name, dashboard in dashboards.items():
        assert dashboard["__inputs"] == [{"name": "DS_PROMETHEUS", "label": "Prometheus",
                                          "description": "Prometheus scraping the agent-os collector",
                                          "type": "datasource", "pluginId": "prometheus", "pluginName": "Prometheus"}]
        required = {(r["type"], r["id"]) for r in dashboard["__requires"]}
        assert {("grafana", "grafana"), ("datasource", "prometheus")} <= required
        assert {("panel", p["type"]) for p in panels(dashboard)} <= required, name
        assert dashboard["refresh"] == "30s" and dashboard["time"] == {"from": "now-1h", "to": "now"}
        # every data source reference is the import input: no uid of the author's own Grafana leaks in
        uids = set(re.findall(r'"uid": "([^"]*)"', json.dumps(dashboard)))
        assert uids == {dashboard["uid"], "${DS_PROMETHEUS}"}, name
        titles = [p["title"] for p in panels(dashboard)]
        assert len(titles) == len(set(titles)), f"{name}: two panels share a title"
        for panel in panels(dashboard):
            where = f"{dashboard['title']} / {panel['title']}"
            assert panel["fieldConfig"]["defaults"].get("unit"), f"{where} has no unit"
            assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}", where
            assert panel["targets"] and all(t["expr"] for t in panel["targets"]), where


def test_the_panels_cover_the_whole_metric_catalogue():
    exprs = " ".join(t["expr"] for d in committed().values() for p in panels(d) for t in p["targets"])
    missing = [prometheus_name(spec) for spec in catalogue.METRICS
               if not re.search(rf"\b{prometheus_name(spec)}(_bucket|_sum|_count)?\b", exprs)]
    assert missing == []


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    """Prometheus scraping our collector after both workloads ran through it."""
    workdir = tmp_path_factory.mktemp("dashboards")
    collector = Collector(workdir, "dashboards-audit-key")
    collector.start()
    prometheus = Prometheus(workdir, [f"127.0.0.1:{collector.prometheus}"])
    try:
        prometheus.start()
        # Prometheus scrapes a new target only after its discovery's first update (about 5 s): a
        # workload that ran before that would show its final counts only, and every rate() would be 0.
        wait_until(lambda: prometheus.value("up") == 1, 30, "Prometheus scraping the collector", prometheus.log)
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": collector.otlp, "OTEL_METRIC_EXPORT_INTERVAL": "500",
               "AGENT_OS_OTEL_PROMETHEUS_ENABLED": "false"}
        with ThreadPoolExecutor() as pool:
            runs = [pool.submit(run_instrumented, workdir, clean_env(OTEL_SERVICE_NAME=service, **env),
                                program=PROGRAMS / program, args=("--rounds", str(ROUNDS)))
                    for service, program in (("research-team", "agent_os_rounds.py"),
                                             ("model-caller", "genai_workload.py"))]
        for run in runs:
            assert run.result().returncode == 0, run.result().stderr[-3000:]
        wait_until(lambda: prometheus.value("sum(agent_os_actions_total)") == 9 * ROUNDS
                   # per round: the LangGraph example's 4 model calls, 2 more, 1 failing
                   and prometheus.value("sum(gen_ai_client_operation_duration_seconds_count)") == 7 * ROUNDS,
                   30, "the workloads' final counts in Prometheus", collector.log)
        time.sleep(1.5)  # one more scrape, so every rate() window ends on the final counts
        yield prometheus
    finally:
        prometheus.stop()
        collector.stop()


def concrete(expr: str, variables: list[dict]) -> str:
    """The query Grafana sends with every variable on All and the interval macros resolved."""
    for variable in variables:
        if variable["type"] == "query":
            expr = re.sub(rf"\$\{{{variable['name']}\}}|\${variable['name']}\b", variable["allValue"], expr)
    expr = MACRO.sub("1m", expr)
    assert "$" not in expr, f"unresolved variable in {expr}"
    return expr


def test_every_panel_returns_data_from_prometheus(prometheus):
    empty, results = [], {}
    for dashboard in committed().values():
        variables = dashboard["templating"]["list"]
        for panel in panels(dashboard):
            where = f"{dashboard['title']} / {panel['title']}"
            for target in panel["targets"]:
                expr = concrete(target["expr"], variables)
                series = prometheus.query(expr)
                results[f"{where} [{target['refId']}]"] = [s["value"][1] for s in series]
                if not series:
                    empty.append(f"{where}: {expr}")
    assert not empty, "panels that return no series:\n" + "\n".join(empty)
    # The headline numbers are real values, not 0 or NaN: the workloads ran while Prometheus scraped.
    for headline in ("Agent OS / Overview / Actions per second [A]", "Agent OS / Overview / Violation rate [A]",
                     "Agent OS / Overview / p95 action latency [A]", "Agent OS / Memory / p95 retrieval latency [A]",
                     "Agent OS / Verification / p95 drift score [A]",
                     "Agent OS / Model calls / p95 model call latency [A]",
                     "Agent OS / Model calls / Tokens per second [A]"):
        assert float(results[headline][0]) > 0, f"{headline} = {results[headline]}"
    assert len(results["Agent OS / Model calls / Tokens per second by model [A]"]) == 6  # 3 models x in/out


def test_every_variable_offers_the_values_the_workloads_produced(prometheus):
    for dashboard in committed().values():
        for variable in dashboard["templating"]["list"]:
            if variable["type"] != "query":
                continue
            metric, label = re.fullmatch(r"label_values\((\w+), (\w+)\)", variable["query"]).groups()
            status, body = http_get(f"{prometheus.url}/api/v1/label/{label}/values?match[]={metric}")
            assert status == 200 and json.loads(body)["data"], f"{dashboard['title']}: ${variable['name']} is empty"
