"""Generate the Grafana dashboards in this folder from code (grafana-foundation-sdk).

    .venv/bin/python dashboards/generate.py

writes dashboards/<name>.json. The JSON files are this script's output and are committed; a test
regenerates them and fails when they differ, so edit this file, never the JSON.

The queries use the Prometheus names a Prometheus scraping our collector sees (collector/README.md,
"Metric names"): agent_os.action.duration -> agent_os_action_duration_seconds, counters get _total,
attributes become labels with dots turned into underscores (agent_os.agent.id -> agent_os_agent_id).

Each dashboard is importable through Grafana's import screen: `__inputs` asks for a Prometheus data
source (DS_PROMETHEUS) and every panel and variable reference `${DS_PROMETHEUS}`. A data source
variable of the same name makes the same file work when provisioned from disk, where no import
step replaces `${DS_PROMETHEUS}`.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from grafana_foundation_sdk.builders import (
    common,
    dashboard,
    heatmap,
    prometheus,
    stat,
    timeseries,
)
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import units
from grafana_foundation_sdk.models.common import (
    BigValueGraphMode,
    LegendDisplayMode,
    LegendPlacement,
    SortOrder,
    TooltipDisplayMode,
)
from grafana_foundation_sdk.models.dashboard import (
    DashboardCursorSync,
    DataSourceRef,
    VariableOption,
    VariableRefresh,
    VariableSort,
)
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

HERE = Path(__file__).resolve().parent
DS = "DS_PROMETHEUS"
DATASOURCE = DataSourceRef(type_val="prometheus", uid=f"${{{DS}}}")
RATE = "$__rate_interval"
REFRESH, TIME_FROM = "30s", "now-1h"
TOKENS_PER_SECOND = "suffix: tokens/s"  # Grafana's custom-unit syntax: no built-in unit for tokens
TOKENS = "suffix: tokens"


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""
    heatmap: bool = False  # one series per bucket (le), for heatmap panels


def _targets(builder, queries: list[Query]):
    for ref, query in zip("ABCDEFGH", queries):
        target = (prometheus.Dataquery().expr(query.expr).ref_id(ref).datasource(DATASOURCE)
                  .legend_format(query.legend or "__auto"))
        if query.heatmap:
            target = target.format(PromQueryFormat.HEATMAP)
        builder = builder.with_target(target)
    return builder


def graph(title: str, unit: str, *queries: Query, description: str = "", width: int = 12):
    panel = (timeseries.Panel().title(title).description(description).unit(unit).datasource(DATASOURCE)
             .height(8).span(width).fill_opacity(10).min(0)
             .legend(common.VizLegendOptions().show_legend(True).display_mode(LegendDisplayMode.LIST)
                     .placement(LegendPlacement.BOTTOM))
             .tooltip(common.VizTooltipOptions().mode(TooltipDisplayMode.MULTI).sort(SortOrder.DESCENDING)))
    return _targets(panel, list(queries))


def single(title: str, unit: str, query: Query, description: str = "", width: int = 6):
    panel = (stat.Panel().title(title).description(description).unit(unit).datasource(DATASOURCE)
             .height(4).span(width).graph_mode(BigValueGraphMode.AREA)
             .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"])))
    return _targets(panel, [query])


def distribution(title: str, unit: str, query: Query, description: str = "", width: int = 12):
    """A heatmap of a histogram's buckets over time (the buckets come pre-computed from Prometheus)."""
    panel = (heatmap.Panel().title(title).description(description).unit(unit).datasource(DATASOURCE)
             .height(8).span(width).calculate(False)
             .y_axis(heatmap.YAxisConfig().unit(unit)).show_tooltip())
    return _targets(panel, [query])


def label_variable(name: str, label: str, metric: str, title: str):
    """A multi-value variable over one label's values, with All (= any value, also none)."""
    return (dashboard.QueryVariable(name).label(title).datasource(DATASOURCE)
            .query(f"label_values({metric}, {label})").refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
            .sort(VariableSort.ALPHABETICAL_ASC).multi(True).include_all(True).all_value(".*")
            .current(VariableOption(selected=True, text="All", value="$__all")))


def datasource_variable():
    return dashboard.DatasourceVariable(DS).label("Data source").type("prometheus")


def quantile(q: float, metric: str, by: str = "", selector: str = "") -> str:
    labels = ", ".join(filter(None, ["le", by]))
    return f"histogram_quantile({q}, sum by ({labels}) (rate({metric}_bucket{selector}[{RATE}])))"


def rate(metric: str, by: str = "", selector: str = "") -> str:
    grouping = f" by ({by}) " if by else ""
    return f"sum{grouping}(rate({metric}{selector}[{RATE}]))"


def percentiles(metric: str, selector: str = "") -> list[Query]:
    return [Query(quantile(q, metric, selector=selector), f"p{round(q * 100)}") for q in (0.5, 0.95, 0.99)]


def new_dashboard(uid: str, title: str, description: str, *variables):
    builder = (dashboard.Dashboard(title).uid(uid).description(description).tags(["agent-os", "agent-os-otel"])
               .refresh(REFRESH).time(TIME_FROM, "now").timezone("browser").tooltip(DashboardCursorSync.CROSSHAIR)
               .editable().with_variable(datasource_variable()))
    for variable in variables:
        builder = builder.with_variable(variable)
    return builder


AGENT = '{agent_os_agent_id=~"$agent"}'
STORE = '{agent_os_memory_store=~"$store"}'
MODEL = '{gen_ai_request_model=~"$model"}'


def overview():
    actions = rate("agent_os_actions_total", selector=AGENT)
    violation_percent = f"100 * {rate('agent_os_violations_total', selector=AGENT)} / {actions}"
    return (new_dashboard("agent-os-overview", "Agent OS / Overview",
                          "What the agents do: actions, violations, latency, active agents.",
                          label_variable("agent", "agent_os_agent_id", "agent_os_actions_total", "Agent"))
            .with_panel(single("Actions per second", units.OpsPerSecond, Query(actions)))
            .with_panel(single("Violation rate", units.Percent, Query(violation_percent),
                               "Policy violations as a percentage of actions."))
            .with_panel(single("p95 action latency", units.Seconds,
                               Query(quantile(0.95, "agent_os_action_duration_seconds"))))
            .with_panel(single("Active agents", units.Short, Query("sum(agent_os_active_agents)")))
            .with_panel(graph("Actions per second by agent", units.OpsPerSecond,
                              Query(rate("agent_os_actions_total", "agent_os_agent_id", AGENT),
                                    "{{agent_os_agent_id}}")))
            .with_panel(graph("Violation rate over time", units.Percent, Query(violation_percent, "violations"),
                              description="Policy violations as a percentage of actions."))
            .with_panel(graph("Action latency", units.Seconds, *percentiles("agent_os_action_duration_seconds")))
            .with_panel(graph("p95 action latency by action", units.Seconds,
                              Query(quantile(0.95, "agent_os_action_duration_seconds", "agent_os_action"),
                                    "{{agent_os_action}}")))
            .with_panel(graph("Blocked actions per second", units.OpsPerSecond,
                              Query(rate("agent_os_actions_blocked_total", "agent_os_agent_id, agent_os_action",
                                         AGENT), "{{agent_os_agent_id}} {{agent_os_action}}"),
                              description="Actions the kernel refused."))
            .with_panel(graph("Active agents over time", units.Short, Query("sum(agent_os_active_agents)", "active agents"))))


def policy():
    evaluations = rate("agent_os_policy_evaluations_total")
    cache_ratio = f"{rate('agent_os_policy_cache_hits_total')} / {evaluations}"
    return (new_dashboard("agent-os-policy", "Agent OS / Policy",
                          "Policy evaluations, their latency and cache, violations and the audit trail.",
                          label_variable("agent", "agent_os_agent_id", "agent_os_violations_total", "Agent"))
            .with_panel(single("Policy evaluations per second", units.OpsPerSecond, Query(evaluations)))
            .with_panel(single("p95 policy evaluation latency", units.Seconds,
                               Query(quantile(0.95, "agent_os_policy_evaluation_duration_seconds"))))
            .with_panel(single("Policy cache hit ratio", units.PercentUnit, Query(cache_ratio),
                               "Decisions served from the policy cache, of all evaluations."))
            .with_panel(single("Violations per second", units.OpsPerSecond,
                               Query(rate("agent_os_violations_total", selector=AGENT))))
            .with_panel(graph("Policy evaluations per second by decision", units.OpsPerSecond,
                              Query(rate("agent_os_policy_evaluations_total", "agent_os_policy_decision"),
                                    "{{agent_os_policy_decision}}")))
            .with_panel(graph("Policy evaluation latency", units.Seconds,
                              *percentiles("agent_os_policy_evaluation_duration_seconds")))
            .with_panel(graph("Policy cache hit ratio over time", units.PercentUnit, Query(cache_ratio, "cache hits")))
            .with_panel(graph("Violations per second by agent and rule", units.OpsPerSecond,
                              Query(rate("agent_os_violations_total", "agent_os_agent_id, agent_os_policy_rule",
                                         AGENT), "{{agent_os_agent_id}} {{agent_os_policy_rule}}")))
            .with_panel(graph("Audit records per second by decision", units.OpsPerSecond,
                              Query(rate("agentos_audit_records_total", "agent_os_policy_decision"),
                                    "{{agent_os_policy_decision}}"),
                              description="Counted by the collector as the records reach the audit trail.",
                              width=24)))


def memory():
    return (new_dashboard("agent-os-memory", "Agent OS / Memory",
                          "Episodic memory: episodes stored, its size, retrieval latency.",
                          label_variable("store", "agent_os_memory_store", "agent_os_episodes_total", "Store"))
            .with_panel(single("Episodes stored", units.Short,
                               Query(f"sum(increase(agent_os_episodes_total{STORE}[$__range]))"),
                               "Episodes stored in the selected time range.", width=8))
            .with_panel(single("Memory size", units.BytesIEC, Query(f"sum(agent_os_memory_size_bytes{STORE})"),
                               width=8))
            .with_panel(single("p95 retrieval latency", units.Seconds,
                               Query(quantile(0.95, "agent_os_retrieval_duration_seconds", selector=STORE)), width=8))
            .with_panel(graph("Episodes stored per second", units.OpsPerSecond,
                              Query(rate("agent_os_episodes_total", "agent_os_memory_store", STORE),
                                    "{{agent_os_memory_store}}")))
            .with_panel(graph("Memory size by store", units.BytesIEC,
                              Query(f"sum by (agent_os_memory_store) (agent_os_memory_size_bytes{STORE})",
                                    "{{agent_os_memory_store}}")))
            .with_panel(graph("Retrieval latency", units.Seconds,
                              *percentiles("agent_os_retrieval_duration_seconds", selector=STORE)))
            .with_panel(graph("Retrievals per second", units.OpsPerSecond,
                              Query(rate("agent_os_retrieval_duration_seconds_count", "agent_os_memory_store", STORE),
                                    "{{agent_os_memory_store}}"))))


def verification():
    verifications = rate("agent_os_verifications_total")
    failures = rate("agent_os_verification_failures_total")
    return (new_dashboard("agent-os-verification", "Agent OS / Verification",
                          "Verification checks, their failures and the drift-score distribution.")
            .with_panel(single("Verification failures", units.Short,
                               Query("sum(increase(agent_os_verification_failures_total[$__range]))"),
                               "Failed verification checks in the selected time range."))
            .with_panel(single("Verification failure ratio", units.PercentUnit, Query(f"{failures} / {verifications}")))
            .with_panel(single("p95 drift score", units.Short,
                               Query(quantile(0.95, "agent_os_drift_score")), "0 = as expected, 1 = unrelated."))
            .with_panel(single("Mean drift score", units.Short,
                               Query(f"{rate('agent_os_drift_score_sum')} / {rate('agent_os_drift_score_count')}")))
            .with_panel(graph("Verifications and failures per second", units.OpsPerSecond,
                              Query(verifications, "verifications"), Query(failures, "failures")))
            .with_panel(distribution("Drift-score distribution", units.Short,
                                     Query(f"sum by (le) (increase(agent_os_drift_score_bucket[{RATE}]))", "{{le}}",
                                           heatmap=True),
                                     "Verified outputs per drift-score bucket."))
            .with_panel(graph("Drift score percentiles", units.Short, *percentiles("agent_os_drift_score"),
                              width=24)))


def model_calls():
    token_rate = rate("gen_ai_client_token_usage_sum", "gen_ai_request_model, gen_ai_token_type", MODEL)
    return (new_dashboard("agent-os-model-calls", "Agent OS / Model calls",
                          "Model calls (OpenTelemetry GenAI metrics): rate, latency, errors and tokens by model.",
                          label_variable("model", "gen_ai_request_model", "gen_ai_client_operation_duration_seconds_count",
                                         "Model"))
            .with_panel(single("Model calls per second", units.RequestsPerSecond,
                               Query(rate("gen_ai_client_operation_duration_seconds_count", selector=MODEL))))
            .with_panel(single("p95 model call latency", units.Seconds,
                               Query(quantile(0.95, "gen_ai_client_operation_duration_seconds", selector=MODEL))))
            .with_panel(single("Tokens per second", TOKENS_PER_SECOND,
                               Query(rate("gen_ai_client_token_usage_sum", selector=MODEL))))
            .with_panel(single("Tokens used", TOKENS,
                               Query(f"sum(increase(gen_ai_client_token_usage_sum{MODEL}[$__range]))"),
                               "Input and output tokens in the selected time range."))
            .with_panel(graph("Model calls per second by model", units.RequestsPerSecond,
                              Query(rate("gen_ai_client_operation_duration_seconds_count",
                                         "gen_ai_provider_name, gen_ai_request_model", MODEL),
                                    "{{gen_ai_provider_name}} {{gen_ai_request_model}}")))
            .with_panel(graph("Model call latency by model (p95)", units.Seconds,
                              Query(quantile(0.95, "gen_ai_client_operation_duration_seconds", "gen_ai_request_model",
                                             MODEL), "{{gen_ai_request_model}}")))
            .with_panel(graph("Tokens per second by model", TOKENS_PER_SECOND,
                              Query(token_rate, "{{gen_ai_request_model}} {{gen_ai_token_type}}")))
            .with_panel(graph("Model call errors per second", units.RequestsPerSecond,
                              Query(rate("gen_ai_client_operation_duration_seconds_count",
                                         "gen_ai_request_model, error_type",
                                         '{gen_ai_request_model=~"$model", error_type!=""}'),
                                    "{{gen_ai_request_model}} {{error_type}}"),
                              description="Failed model calls, by the error.type the instrumentation recorded.")))


DASHBOARDS = {"overview": overview, "policy": policy, "memory": memory, "verification": verification,
              "model-calls": model_calls}
PANEL_PLUGINS = {"timeseries": "Time series", "stat": "Stat", "heatmap": "Heatmap"}


def build(name: str) -> dict:
    """One dashboard as Grafana's "export for sharing externally" JSON (with __inputs and __requires)."""
    model = json.loads(json.dumps(DASHBOARDS[name]().build(), cls=JSONEncoder))
    for number, panel in enumerate(model["panels"], start=1):
        panel["id"] = number
    used = sorted({panel["type"] for panel in model["panels"]})
    # The SDK has no notion of import inputs: add them as Grafana's own export writes them.
    return {
        "__inputs": [{"name": DS, "label": "Prometheus", "description": "Prometheus scraping the agent-os collector",
                      "type": "datasource", "pluginId": "prometheus", "pluginName": "Prometheus"}],
        "__requires": [{"type": "grafana", "id": "grafana", "name": "Grafana", "version": "10.0.0"},
                       {"type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0"},
                       *({"type": "panel", "id": kind, "name": PANEL_PLUGINS[kind], "version": ""} for kind in used)],
        **model,
    }


def render(name: str) -> str:
    return json.dumps(build(name), indent=2) + "\n"


def main() -> int:
    for name in DASHBOARDS:
        path = HERE / f"{name}.json"
        path.write_text(render(name))
        print(f"wrote {path.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
