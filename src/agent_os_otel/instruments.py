"""Every instrument of the catalogue, created in one place from the global meter.

Instrumentations record through ``instruments.<name>``; the names, units and buckets live in
`catalogue`. Created against the global (proxy) meter, so they work before and after the
MeterProvider is set.
"""

from __future__ import annotations

from opentelemetry import metrics

from . import catalogue as c
from .version import __version__


def _create(meter: metrics.Meter, spec: c.MetricSpec):
    factory = {
        "counter": meter.create_counter,
        "updown": meter.create_up_down_counter,
        "histogram": meter.create_histogram,
    }[spec.kind]
    return factory(spec.name, unit=spec.unit, description=spec.description)


class Instruments:
    def __init__(self, meter: metrics.Meter) -> None:
        self.actions = _create(meter, c.ACTIONS)
        self.violations = _create(meter, c.VIOLATIONS)
        self.actions_blocked = _create(meter, c.ACTIONS_BLOCKED)
        self.action_duration = _create(meter, c.ACTION_DURATION)
        self.active_agents = _create(meter, c.ACTIVE_AGENTS)
        self.policy_evaluations = _create(meter, c.POLICY_EVALUATIONS)
        self.policy_evaluation_duration = _create(meter, c.POLICY_EVALUATION_DURATION)
        self.policy_cache_hits = _create(meter, c.POLICY_CACHE_HITS)
        self.episodes = _create(meter, c.EPISODES)
        self.memory_size = _create(meter, c.MEMORY_SIZE)
        self.retrieval_duration = _create(meter, c.RETRIEVAL_DURATION)
        self.verifications = _create(meter, c.VERIFICATIONS)
        self.verification_failures = _create(meter, c.VERIFICATION_FAILURES)
        self.drift_score = _create(meter, c.DRIFT_SCORE)
        self.gen_ai_operation_duration = _create(meter, c.GEN_AI_OPERATION_DURATION)
        self.gen_ai_token_usage = _create(meter, c.GEN_AI_TOKEN_USAGE)


instruments = Instruments(metrics.get_meter(c.SCOPE_NAME, __version__))
