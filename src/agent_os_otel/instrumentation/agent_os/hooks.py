"""What each Agent OS hook point records. The wrappers that call these live in ``__init__``.

A hook's ``start`` runs before the kernel's function and returns a `Call` (or None to stay out of
the way); ``finish`` sees the result, ``fail`` the exception; the wrapper always closes the call.
Everything here runs under a guard: an error in our code is logged once and the kernel's call
goes on exactly as without us.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
import weakref
from contextvars import ContextVar
from dataclasses import dataclass

from opentelemetry import context, trace
from opentelemetry.trace import Status, StatusCode

from ... import audit
from .. import genai
from ... import catalogue as c
from ...instruments import instruments
from ...version import __version__

tracer = trace.get_tracer(c.SCOPE_NAME + ".agent_os", __version__)


def use_tracer_provider(provider: trace.TracerProvider | None) -> None:
    """``instrument(tracer_provider=...)``, as contrib instrumentors take it; the global provider by default.
    Looked up once here, so a span does not go through the global proxy tracer each time."""
    global tracer  # pylint: disable=global-statement - the one tracer every hook uses
    tracer = trace.get_tracer(c.SCOPE_NAME + ".agent_os", __version__, tracer_provider=provider)


@dataclass
class Action:
    """The agent.execute in progress in this task: nested policy checks report their decision here."""

    agent_id: str
    action: str
    resource: str
    decision: str | None = None
    reason: str | None = None
    flight_recorder_trace_id: str | None = None


current_action: ContextVar[Action | None] = ContextVar("agent_os_otel_action", default=None)
_in_policy: ContextVar[bool] = ContextVar("agent_os_otel_in_policy", default=False)
_in_verification: ContextVar[bool] = ContextVar("agent_os_otel_in_verification", default=False)


_perf_counter = time.perf_counter
_attach, _detach, _set_span_in_context = context.attach, context.detach, trace.set_span_in_context


class Call:
    """One instrumented call in flight: its span (current while the kernel runs) and context tokens."""

    __slots__ = ("started", "span", "state", "_resets", "_token")

    def __init__(self, name: str, attributes: dict, **state) -> None:
        self.started = _perf_counter()
        self.span = span = tracer.start_span(name, attributes=attributes)
        self.state = state
        self._resets: list | None = None
        self._token = _attach(_set_span_in_context(span))

    def set_var(self, var: ContextVar, value) -> None:
        if self._resets is None:
            self._resets = []
        self._resets.append((var, var.set(value)))

    def elapsed(self) -> float:
        return _perf_counter() - self.started

    def fail(self, exc: BaseException) -> None:
        self.span.record_exception(exc)
        self.span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))

    def close(self) -> None:
        if self._resets is not None:
            for var, token in reversed(self._resets):
                var.reset(token)
        _detach(self._token)
        self.span.end()


_LABEL_CACHE_SIZE = 4096
_labels_by_key: dict = {}


def _labels(*pairs) -> dict:
    """The metric attribute dict for these (key, value) pairs, made once and shared: label values repeat,
    and the SDK only reads the dict. Bounded: past the limit, new combinations get a fresh dict."""
    found = _labels_by_key.get(pairs)
    if found is None:
        found = dict(pairs)
        if len(_labels_by_key) < _LABEL_CACHE_SIZE:
            _labels_by_key[pairs] = found
    return found


def _arg(args: tuple, kwargs: dict, index: int, name: str, default=None):
    if len(args) > index:
        return args[index]
    return kwargs.get(name, default)


def _resource_of(params) -> str:
    if not isinstance(params, dict):
        return ""
    for key in ("resource", "path", "url", "file", "table"):
        if params.get(key):
            return str(params[key])
    return ""


# -- agent.execute ------------------------------------------------------------------------------


class _ExecuteHook:
    """Shared ending of both kernels' execute calls: outcome, denial, metrics."""

    @staticmethod
    def begin(agent_id: str, action: str, resource: str, extra: dict) -> Call:
        attributes = {c.ATTR_AGENT_ID: agent_id, c.ATTR_ACTION: action, c.ATTR_RESOURCE: resource, **extra}
        call = Call(c.SPAN_AGENT_EXECUTE, attributes)
        call.state["action"] = Action(agent_id, action, resource)
        call.set_var(current_action, call.state["action"])
        return call

    @staticmethod
    def end(call: Call, blocked: bool, reason: str | None) -> None:
        state: Action = call.state["action"]
        span = call.span
        attributes = {}
        if state.flight_recorder_trace_id:
            attributes[c.ATTR_FLIGHT_RECORDER_TRACE] = state.flight_recorder_trace_id
        labels = _labels((c.ATTR_ACTION, state.action), (c.ATTR_AGENT_ID, state.agent_id))
        if blocked:
            reason = state.reason or reason or "denied"
            attributes[c.ATTR_BLOCKED] = True
            attributes[c.ATTR_POLICY_DECISION] = "deny"
            attributes[c.ATTR_POLICY_REASON] = reason
            if span.status.status_code is not StatusCode.ERROR:
                span.set_status(Status(StatusCode.ERROR, f"blocked: {reason}"))
            instruments.actions_blocked.add(1, labels)
        elif state.decision:
            attributes[c.ATTR_POLICY_DECISION] = state.decision
        if attributes:
            span.set_attributes(attributes)
        instruments.actions.add(1, labels)
        instruments.action_duration.record(call.elapsed(), _labels((c.ATTR_ACTION, state.action)))


class SyscallHook(_ExecuteHook):
    """KernelSpace.syscall(request, ctx): denial raises AgentKernelPanic, or returns error -1/-2."""

    def start(self, instance, args, kwargs):
        request, ctx = _arg(args, kwargs, 0, "request"), _arg(args, kwargs, 1, "ctx")
        name = request.syscall.name
        tool = request.args.get("tool") if name == "SYS_EXEC" else None
        extra = {c.ATTR_SYSCALL: name}
        if tool:
            extra.update({c.ATTR_GEN_AI_OPERATION_NAME: "execute_tool", c.ATTR_GEN_AI_TOOL_NAME: str(tool)})
        return self.begin(ctx.agent_id, str(tool or name), _resource_of(request.args) or str(tool or ""), extra)

    def finish(self, call: Call, result) -> None:
        if result.error_code is not None:
            call.span.set_attribute(c.ATTR_ERROR_CODE, result.error_code)
        blocked = result.error_code in (-1, -2) or call.state["action"].decision == "deny"
        if not result.success and not blocked:
            call.span.set_status(Status(StatusCode.ERROR, result.error_message or f"error {result.error_code}"))
        self.end(call, blocked, result.error_message)

    def fail(self, call: Call, exc: BaseException) -> None:
        call.fail(exc)
        self.end(call, call.state["action"].decision == "deny", str(exc))


class StatelessExecuteHook(_ExecuteHook):
    """StatelessKernel.execute(action, params, context): a denial is a result with signal SIGKILL."""

    def start(self, instance, args, kwargs):
        action = str(_arg(args, kwargs, 0, "action"))
        params = _arg(args, kwargs, 1, "params") or {}
        ctx = _arg(args, kwargs, 2, "context")
        return self.begin(ctx.agent_id, action, _resource_of(params), {})

    def finish(self, call: Call, result) -> None:
        blocked = not result.success and result.signal == "SIGKILL"
        if not result.success and not blocked:
            call.span.set_status(Status(StatusCode.ERROR, result.error or str(result.signal)))
        self.end(call, blocked, result.error)

    def fail(self, call: Call, exc: BaseException) -> None:
        call.fail(exc)
        self.end(call, False, None)


# -- policy.evaluate ----------------------------------------------------------------------------


@dataclass
class Decision:
    allowed: bool
    rule_id: str
    reason: str


_ENGINE_RULES = (  # PolicyEngine returns only a reason; its prefix tells which check refused
    ("Role ", "policy_engine.allowlist"),
    ("Conditional permission", "policy_engine.condition"),
    ("Path ", "policy_engine.protected_path"),
    ("Dangerous pattern", "policy_engine.dangerous_code"),
    ("Destructive SQL", "policy_engine.destructive_sql"),
    ("Internal endpoint", "policy_engine.internal_endpoint"),
)
_VERDICT_LABELS = {verdict: {c.ATTR_POLICY_DECISION: verdict} for verdict in ("allow", "deny")}
_STATELESS_RULE = re.compile(r"blocked by '([^']+)' policy")


class _PolicyHook:
    """One policy decision: a span, the evaluation metrics, one audit record. Outermost call only,
    so a check nested in another (an evaluator inside an integration check) counts once."""

    def subject(self, instance, args, kwargs) -> tuple[str, str, str]:
        raise NotImplementedError

    def decision(self, result) -> Decision:
        raise NotImplementedError

    def start(self, instance, args, kwargs):
        if _in_policy.get():
            return None
        agent_id, action, resource = self.subject(instance, args, kwargs)
        call = Call(c.SPAN_POLICY_EVALUATE,
                    {c.ATTR_AGENT_ID: agent_id, c.ATTR_ACTION: action, c.ATTR_RESOURCE: resource},
                    subject=(agent_id, action, resource))
        call.set_var(_in_policy, True)
        return call

    def finish(self, call: Call, result) -> None:
        self.record(call, self.decision(result))

    def record(self, call: Call, decided: Decision) -> None:
        verdict = "allow" if decided.allowed else "deny"
        agent_id, action, resource = call.state["subject"]
        span = call.span
        if decided.reason:
            span.set_attributes({c.ATTR_POLICY_DECISION: verdict, c.ATTR_POLICY_RULE: decided.rule_id,
                                 c.ATTR_POLICY_REASON: decided.reason})
        else:
            span.set_attributes({c.ATTR_POLICY_DECISION: verdict, c.ATTR_POLICY_RULE: decided.rule_id})
        instruments.policy_evaluations.add(1, _VERDICT_LABELS[verdict])
        instruments.policy_evaluation_duration.record(call.elapsed())
        if not decided.allowed:
            instruments.violations.add(1, _labels((c.ATTR_POLICY_RULE, decided.rule_id), (c.ATTR_AGENT_ID, agent_id)))
        enclosing = current_action.get()
        if enclosing is not None:
            enclosing.decision = verdict
            if not decided.allowed:
                enclosing.reason = decided.reason
        trace_id = enclosing.flight_recorder_trace_id if enclosing is not None else None
        audit.record_decision(
            agent_id=agent_id, action=action, resource=resource, decision=verdict, reason=decided.reason,
            rule_id=decided.rule_id, context={"flight_recorder_trace_id": trace_id} if trace_id is not None else None,
            span=span,
        )

    def fail(self, call: Call, exc: BaseException) -> None:
        call.fail(exc)
        instruments.policy_evaluation_duration.record(call.elapsed())


class CheckViolationHook(_PolicyHook):
    """PolicyEngine.check_violation(agent_role, tool_name, args) -> None or the reason."""

    def subject(self, instance, args, kwargs):
        tool_args = _arg(args, kwargs, 2, "args") or {}
        return (str(_arg(args, kwargs, 0, "agent_role")), str(_arg(args, kwargs, 1, "tool_name")),
                _resource_of(tool_args))

    def decision(self, result) -> Decision:
        if result is None:
            return Decision(True, "policy_engine", "")
        rule = next((rule for prefix, rule in _ENGINE_RULES if result.startswith(prefix)), "policy_engine")
        return Decision(False, rule, result)


class EvaluatorHook(_PolicyHook):
    """PolicyEvaluator.evaluate(context) -> PolicyDecision(allowed, matched_rule, reason)."""

    def subject(self, instance, args, kwargs):
        ctx = _arg(args, kwargs, 0, "context") or {}
        return (str(ctx.get("agent_id", "")), str(ctx.get("tool_name") or ctx.get("action") or ""),
                _resource_of(ctx))

    def decision(self, result) -> Decision:
        return Decision(bool(result.allowed), result.matched_rule or "default", result.reason or "")


class StatelessPoliciesHook(_PolicyHook):
    """StatelessKernel._check_policies(action, params, policy_names) -> {"allowed", "reason"}."""

    def subject(self, instance, args, kwargs):
        enclosing = current_action.get()
        return (enclosing.agent_id if enclosing else "", str(_arg(args, kwargs, 0, "action")),
                _resource_of(_arg(args, kwargs, 1, "params")))

    def decision(self, result) -> Decision:
        reason = result.get("reason") or ""
        match = _STATELESS_RULE.search(reason)
        return Decision(bool(result.get("allowed")), match.group(1) if match else "stateless", reason)


class IntegrationCheckHook(_PolicyHook):
    """BaseIntegration.pre_execute_check(ctx, input) -> PolicyCheckResult: the framework adapters' decisions."""

    def subject(self, instance, args, kwargs):
        ctx = _arg(args, kwargs, 0, "ctx")
        data = _arg(args, kwargs, 1, "input_data")
        tool = data.get("tool_name", "") if isinstance(data, dict) else ""
        return str(getattr(ctx, "agent_id", "")), str(tool or type(instance).__name__), _resource_of(data)

    def decision(self, result) -> Decision:
        return Decision(bool(result.allowed), str(result.matched_rule or "integration"), result.reason or "")


_TOOL_POLICY_RULES = (  # the adapters' tool checks return or raise only a reason; its wording names the rule
    ("not in allowed list", "tool_policy.allowlist"),
    ("blocked by policy", "tool_policy.blocklist"),
    ("locked pattern", "tool_policy.blocked_pattern"),
)


class AdapterToolPolicyHook(_PolicyHook):
    """The framework adapters' own tool allow/block checks, which bypass pre_execute_check:
    LangChainKernel._check_tool_policy(tool_name, args, kwargs, ctx) returns, or raises
    PolicyViolationError; OpenAIAgentsKernel._check_tool_allowed(tool_name) -> (allowed, reason).
    The agent is the context's agent id or, failing that, the enclosing invoke_agent span's agent."""

    def subject(self, instance, args, kwargs):
        ctx = _arg(args, kwargs, 3, "ctx")
        agent = getattr(ctx, "agent_id", None)
        if agent is None:
            enclosing = genai.open_operation("agent")
            agent = enclosing.attributes.get(c.ATTR_GEN_AI_AGENT_NAME) if enclosing is not None else ""
        return str(agent or ""), str(_arg(args, kwargs, 0, "tool_name")), ""

    def decision(self, result) -> Decision:
        allowed, reason = result if isinstance(result, tuple) else (True, "")
        return Decision(bool(allowed), self.rule(reason) if not allowed else "tool_policy", reason or "")

    @staticmethod
    def rule(reason: str) -> str:
        return next((rule for wording, rule in _TOOL_POLICY_RULES if wording in reason), "tool_policy")

    def fail(self, call: Call, exc: BaseException) -> None:
        if type(exc).__name__ != "PolicyViolationError":
            super().fail(call, exc)
            return
        self.record(call, Decision(False, self.rule(str(exc)), str(exc)))


# -- signal.dispatch ----------------------------------------------------------------------------


class SignalHook:
    """SignalDispatcher.signal(sig, source, reason, context): SIGPOLICY escalates and raises."""

    def start(self, instance, args, kwargs):
        sig = _arg(args, kwargs, 0, "sig")
        attributes = {c.ATTR_AGENT_ID: str(instance.agent_id), c.ATTR_SIGNAL: getattr(sig, "name", str(sig)),
                      c.ATTR_SIGNAL_SOURCE: str(_arg(args, kwargs, 1, "source", "kernel"))}
        reason = _arg(args, kwargs, 2, "reason")
        if reason:
            attributes[c.ATTR_POLICY_REASON] = str(reason)
        return Call(c.SPAN_SIGNAL_DISPATCH, attributes)

    def finish(self, call: Call, result) -> None:
        pass

    def fail(self, call: Call, exc: BaseException) -> None:
        call.fail(exc)


# -- active agents ------------------------------------------------------------------------------


class AgentCountHook:
    """KernelSpace.create_agent_context / destroy_agent_context: the change in registered agents."""

    def start(self, instance, args, kwargs):
        call = _Plain()
        call.state["kernel"], call.state["before"] = instance, instance.metrics.active_agents
        return call

    def finish(self, call, result) -> None:
        instruments.active_agents.add(call.state["kernel"].metrics.active_agents - call.state["before"])

    def fail(self, call, exc: BaseException) -> None:
        pass


class _Plain:
    """A call with no span, for hooks that only count."""

    def __init__(self) -> None:
        self.state: dict = {}

    def close(self) -> None:
        pass


# -- memory.store / memory.retrieve -------------------------------------------------------------

_known_sizes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _grow_memory_size(store, size_now: int, labels: dict) -> None:
    """memory.size counts bytes: add what this store grew (or shrank) since we last looked."""
    previous = _known_sizes.get(store, 0)
    _known_sizes[store] = size_now
    if size_now != previous:
        instruments.memory_size.add(size_now - previous, labels)


def _store_size(store) -> int:
    if hasattr(store, "filepath"):
        return os.path.getsize(store.filepath)
    connection = getattr(store, "_conn", None)  # CausalMemoryStore keeps its SQLite connection here
    if isinstance(connection, sqlite3.Connection):
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        return pages * connection.execute("PRAGMA page_size").fetchone()[0]
    return 0


class MemoryStoreHook:
    """FileAdapter.store(episode) / CausalMemoryStore.record(episode) -> episode id."""

    def start(self, instance, args, kwargs):
        episode = _arg(args, kwargs, 0, "episode")
        metadata = getattr(episode, "metadata", None) or {}
        agent_id = getattr(episode, "agent_id", None) or metadata.get("agent_id") or ""
        store = type(instance).__name__
        return Call(c.SPAN_MEMORY_STORE, {c.ATTR_MEMORY_STORE: store, c.ATTR_AGENT_ID: str(agent_id)},
                    store=instance)

    def finish(self, call: Call, result) -> None:
        store = call.state["store"]
        labels = {c.ATTR_MEMORY_STORE: type(store).__name__}
        call.span.set_attribute(c.ATTR_EPISODE_ID, str(result))
        instruments.episodes.add(1, labels)
        _grow_memory_size(store, _store_size(store), labels)

    def fail(self, call: Call, exc: BaseException) -> None:
        call.fail(exc)


class MemoryRetrieveHook:
    """FileAdapter.retrieve(...) / CausalMemoryStore look-ups -> a list of episodes."""

    def start(self, instance, args, kwargs):
        labels = {c.ATTR_MEMORY_STORE: type(instance).__name__}
        return Call(c.SPAN_MEMORY_RETRIEVE, dict(labels), labels=labels)

    def finish(self, call: Call, result) -> None:
        call.span.set_attribute(c.ATTR_RESULT_COUNT, len(result) if hasattr(result, "__len__") else 1)
        instruments.retrieval_duration.record(call.elapsed(), call.state["labels"])

    def fail(self, call: Call, exc: BaseException) -> None:
        call.fail(exc)
        instruments.retrieval_duration.record(call.elapsed(), call.state["labels"])


# -- verification.check ---------------------------------------------------------------------------


def _passed(score) -> bool:
    profile = (getattr(score, "details", None) or {}).get("profile")
    if isinstance(profile, dict) and "passed" in profile:
        return bool(profile["passed"])
    return bool(score.passed())


class VerificationHook:
    """cmvk verify / verify_embeddings / verify_batch -> VerificationScore(s). Outermost call only:
    verify_batch calls verify itself, and each pair must count once."""

    def __init__(self, function: str) -> None:
        self.function = function

    def start(self, instance, args, kwargs):
        if _in_verification.get():
            return None
        call = Call(c.SPAN_VERIFICATION_CHECK, {c.ATTR_VERIFICATION_FUNCTION: self.function})
        call.set_var(_in_verification, True)
        return call

    def finish(self, call: Call, result) -> None:
        scores = list(result) if isinstance(result, (list, tuple)) else [result]
        failures = [s for s in scores if not _passed(s)]
        for score in scores:
            instruments.drift_score.record(score.drift_score)
        instruments.verifications.add(len(scores))
        if failures:
            instruments.verification_failures.add(len(failures))
        call.span.set_attribute(c.ATTR_VERIFICATION_PASSED, not failures)
        call.span.set_attribute(c.ATTR_DRIFT_SCORE, max(s.drift_score for s in scores) if scores else 0.0)

    def fail(self, call: Call, exc: BaseException) -> None:
        call.fail(exc)


# -- governance events and flight recorder ids -----------------------------------------------------

_DENY_EVENTS = {"tool_call_blocked", "policy_violation"}


def governance_event(instance, args, kwargs) -> None:
    """BaseIntegration.emit(event_type, data): a span event; a denial outside any instrumented
    check (an adapter deciding on its own) also becomes an audit record."""
    event_type, data = _arg(args, kwargs, 0, "event_type"), _arg(args, kwargs, 1, "data") or {}
    kind = getattr(event_type, "value", str(event_type))
    attributes = {c.ATTR_GOVERNANCE_EVENT: kind}
    for key, value in data.items():
        if isinstance(value, (str, bool, int, float)):
            attributes[f"agent_os.governance.{key}"] = value
    trace.get_current_span().add_event(f"agent_os.governance.{kind}", attributes)
    if kind in _DENY_EVENTS and not _in_policy.get():
        audit.record_decision(
            agent_id=str(data.get("agent_id", "")), action=str(data.get("tool_name", kind)),
            resource=_resource_of(data), decision="deny", reason=str(data.get("reason", "")),
            rule_id=str(data.get("pattern") or data.get("source") or kind),
        )


def flight_recorder_trace(result) -> None:
    """FlightRecorder.start_trace returned its id: keep the first one of the action for correlation."""
    action = current_action.get()
    if action is not None and action.flight_recorder_trace_id is None:
        action.flight_recorder_trace_id = str(result)


def publish_cache_hits() -> None:
    """agent-os-kernel 3.7 has no policy decision cache, so there are no hits to count. The series
    is published at 0 so dashboards show "no cache" rather than "no data" (README, Agent OS)."""
    instruments.policy_cache_hits.add(0)
