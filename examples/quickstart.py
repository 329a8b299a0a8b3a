"""A small agent-like program: it plans, checks a policy, calls a "tool", and logs as it goes.

No network, no framework: run it under the distro and see traces, metrics and logs appear.

    opentelemetry-instrument python examples/quickstart.py

With --hold it keeps running (and serving /metrics) until its standard input closes, so
another program can scrape it, as Prometheus would.
"""

import argparse
import logging
import random
import sys
import time

from agent_os_otel import catalogue as names
from agent_os_otel import instruments, tracer

log = logging.getLogger("quickstart")

TASKS = [
    ("researcher", "search", "web:arxiv.org"),
    ("researcher", "read_file", "file:/etc/passwd"),
    ("writer", "write_file", "file:/tmp/report.md"),
]
DENIED_RESOURCES = ("file:/etc/",)


def check_policy(agent_id: str, action: str, resource: str) -> str:
    with tracer.start_span(names.SPAN_POLICY_EVALUATE) as span:
        started = time.perf_counter()
        denied = resource.startswith(DENIED_RESOURCES)
        decision = "deny" if denied else "allow"
        span.set_attribute(names.ATTR_POLICY_DECISION, decision)
        span.set_attribute(names.ATTR_POLICY_RULE, "no-system-files" if denied else "default-allow")
        instruments.policy_evaluations.add(1, {names.ATTR_POLICY_DECISION: decision})
        instruments.policy_evaluation_duration.record(time.perf_counter() - started)
        if denied:
            instruments.violations.add(1, {"agent_os.policy.rule": "no-system-files"})
        return decision


def run_task(agent_id: str, action: str, resource: str) -> None:
    with tracer.start_span(names.SPAN_AGENT_EXECUTE) as span:
        started = time.perf_counter()
        span.set_attribute(names.ATTR_AGENT_ID, agent_id)
        span.set_attribute(names.ATTR_ACTION, action)
        span.set_attribute(names.ATTR_RESOURCE, resource)
        decision = check_policy(agent_id, action, resource)
        if decision == "allow":
            time.sleep(random.uniform(0.005, 0.02))  # the "tool call"
        else:
            instruments.actions_blocked.add(1, {names.ATTR_ACTION: action})
        duration = time.perf_counter() - started
        instruments.actions.add(1, {names.ATTR_ACTION: action, names.ATTR_POLICY_DECISION: decision})
        instruments.action_duration.record(duration, {names.ATTR_ACTION: action})
        log.info(
            "%s %s on %s: %s", agent_id, action, resource, decision,
            extra={"agent_id": agent_id, "action": action, "resource": resource, "decision": decision,
                   "duration_ms": round(duration * 1000, 2)},
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hold", action="store_true", help="keep serving /metrics until stdin closes")
    args = parser.parse_args()
    instruments.active_agents.add(2)
    for agent_id, action, resource in TASKS:
        run_task(agent_id, action, resource)
    instruments.drift_score.record(0.12)
    log.info("quickstart finished %d tasks", len(TASKS))
    if args.hold:
        sys.stdout.flush()
        sys.stdin.read()


if __name__ == "__main__":
    main()
