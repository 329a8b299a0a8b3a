"""Every instrument of the catalogue, created in one place from the global meter.

Instrumentations record through ``instruments.<name>``; the names, units and buckets live in
`catalogue`. Created against the global (proxy) meter, so they work before and after the
MeterProvider is set.
"""

from __future__ import annotations

import logging
import threading

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

from . import catalogue as c
from .version import __version__


_log = logging.getLogger(__name__)


class TalliedCounter:
    """A monotonic counter kept as in-process totals per attribute set, reported when metrics are
    collected (an observable counter with the same name, unit and description).

    Exported, it is the same cumulative sum a synchronous counter gives; ``add`` costs a dict update
    under a lock instead of the SDK's per-measurement path (measurement object, attribute hashing per
    view and reader, exemplar sampling), which on Agent OS's per-decision path cost about as much as
    a span. Counter exemplars are not recorded (the duration histograms keep theirs).
    """

    def __init__(self, meter: metrics.Meter, spec: c.MetricSpec) -> None:
        self.name = spec.name
        self._totals: dict[frozenset, list] = {}  # attribute set -> [attributes, total]
        self._lock = threading.Lock()
        self._instrument = meter.create_observable_counter(
            spec.name, callbacks=[self._observe], unit=spec.unit, description=spec.description)

    def add(self, amount, attributes=None, context=None) -> None:  # pylint: disable=unused-argument
        if amount < 0:
            _log.warning("Add amount must be non-negative on Counter %s.", self.name)
            return
        key = frozenset(attributes.items()) if attributes else frozenset()
        with self._lock:
            entry = self._totals.get(key)
            if entry is None:
                self._totals[key] = [dict(attributes) if attributes else {}, amount]
            else:
                entry[1] += amount

    def _observe(self, options: CallbackOptions):  # pylint: disable=unused-argument
        with self._lock:
            totals = [(attributes, total) for attributes, total in self._totals.values()]
        return [Observation(total, attributes) for attributes, total in totals]


def _create(meter: metrics.Meter, spec: c.MetricSpec):
    factory = {
        "counter": lambda name, **kw: TalliedCounter(meter, spec),
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
