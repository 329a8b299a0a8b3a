"""OpenTelemetry instrumentation for the Agent OS kernel (`agent-os-kernel` on PyPI).

Active with no code change under ``opentelemetry-instrument`` (entry point ``agent_os``), or::

    from agent_os_otel.instrumentation.agent_os import AgentOsInstrumentor
    AgentOsInstrumentor().instrument()

What each hook point records is in `hooks`; this module only says where the hooks go.
"""

from __future__ import annotations

from collections.abc import Collection


from . import hooks
from ..guard import Guard
from ..patching import PatchingInstrumentor
from .package import _instruments

# (module, attribute path, hook, is the function async)
_TARGETS = (
    ("agent_control_plane.kernel_space", "KernelSpace.syscall", hooks.SyscallHook(), True),
    ("agent_control_plane.kernel_space", "KernelSpace.create_agent_context", hooks.AgentCountHook(), False),
    ("agent_control_plane.kernel_space", "KernelSpace.destroy_agent_context", hooks.AgentCountHook(), False),
    ("agent_os.stateless", "StatelessKernel.execute", hooks.StatelessExecuteHook(), True),
    ("agent_os.stateless", "StatelessKernel._check_policies", hooks.StatelessPoliciesHook(), False),
    ("agent_control_plane.policy_engine", "PolicyEngine.check_violation", hooks.CheckViolationHook(), False),
    ("agent_os.policies.evaluator", "PolicyEvaluator.evaluate", hooks.EvaluatorHook(), False),
    ("agent_os.integrations.base", "BaseIntegration.pre_execute_check", hooks.IntegrationCheckHook(), False),
    ("agent_os.integrations.langchain_adapter", "LangChainKernel._check_tool_policy", hooks.AdapterToolPolicyHook(),
     False),
    ("agent_os.integrations.openai_agents_sdk", "OpenAIAgentsKernel._check_tool_allowed",
     hooks.AdapterToolPolicyHook(), False),
    ("agent_control_plane.signals", "SignalDispatcher.signal", hooks.SignalHook(), False),
    ("emk.store", "FileAdapter.store", hooks.MemoryStoreHook(), False),
    ("emk.store", "FileAdapter.retrieve", hooks.MemoryRetrieveHook(), False),
    ("emk.store", "ChromaDBAdapter.store", hooks.MemoryStoreHook(), False),  # only with chromadb installed
    ("emk.store", "ChromaDBAdapter.retrieve", hooks.MemoryRetrieveHook(), False),
    ("emk.causal", "CausalMemoryStore.record", hooks.MemoryStoreHook(), False),
    ("emk.causal", "CausalMemoryStore.get_causal_chain", hooks.MemoryRetrieveHook(), False),
    ("emk.causal", "CausalMemoryStore.query_by_agent", hooks.MemoryRetrieveHook(), False),
    # cmvk re-exports these: patch both names, or calls through one of them go unseen
    ("cmvk.verification", "verify", hooks.VerificationHook("verify"), False),
    ("cmvk.verification", "verify_embeddings", hooks.VerificationHook("verify_embeddings"), False),
    ("cmvk.verification", "verify_batch", hooks.VerificationHook("verify_batch"), False),
    ("cmvk", "verify", hooks.VerificationHook("verify"), False),
    ("cmvk", "verify_embeddings", hooks.VerificationHook("verify_embeddings"), False),
    ("cmvk", "verify_batch", hooks.VerificationHook("verify_batch"), False),
)
# Functions whose result or arguments we only look at (no span of their own).
_OBSERVERS = (
    ("agent_os.integrations.base", "BaseIntegration.emit", hooks.governance_event, "before"),
    ("agent_control_plane.flight_recorder", "FlightRecorder.start_trace", hooks.flight_recorder_trace, "after"),
)


guard = Guard("agent_os")


def _settle(where: str, hook, call, result=None, exc: BaseException | None = None) -> None:
    """Report the outcome to the hook and close the call; our errors stay ours."""
    try:
        if exc is None:
            hook.finish(call, result)
        else:
            hook.fail(call, exc)
    except Exception as error:  # pylint: disable=broad-except - our fault must not become the user's
        guard.report(where, error)
    try:
        call.close()
    except Exception as error:  # pylint: disable=broad-except
        guard.report(where, error)


# The wrappers inline `guard.run` (same rule: our error is reported once per place and the kernel's
# call goes on): on a path taken for every kernel call, each extra Python frame shows in the profile.


def _sync_wrapper(where: str, hook):
    def wrapper(wrapped, instance, args, kwargs):
        try:
            call = hook.start(instance, args, kwargs)
        except Exception as error:  # pylint: disable=broad-except
            guard.report(where, error)
            call = None
        if call is None:
            return wrapped(*args, **kwargs)
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            _settle(where, hook, call, exc=exc)
            raise
        try:
            hook.finish(call, result)
        except Exception as error:  # pylint: disable=broad-except
            guard.report(where, error)
        try:
            call.close()
        except Exception as error:  # pylint: disable=broad-except
            guard.report(where, error)
        return result

    return wrapper


def _async_wrapper(where: str, hook):
    async def wrapper(wrapped, instance, args, kwargs):
        try:
            call = hook.start(instance, args, kwargs)
        except Exception as error:  # pylint: disable=broad-except
            guard.report(where, error)
            call = None
        if call is None:
            return await wrapped(*args, **kwargs)
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            _settle(where, hook, call, exc=exc)
            raise
        try:
            hook.finish(call, result)
        except Exception as error:  # pylint: disable=broad-except
            guard.report(where, error)
        try:
            call.close()
        except Exception as error:  # pylint: disable=broad-except
            guard.report(where, error)
        return result

    return wrapper


def _observer(where: str, observe, when: str):
    def wrapper(wrapped, instance, args, kwargs):
        if when == "before":
            guard.run(where, observe, instance, args, kwargs)
            return wrapped(*args, **kwargs)
        result = wrapped(*args, **kwargs)
        guard.run(where, observe, result)
        return result

    return wrapper


class AgentOsInstrumentor(PatchingInstrumentor):
    """Spans, metrics and audit records for the Agent OS kernel, from outside the kernel."""

    guard = guard

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def targets(self):
        for module_name, path, hook, is_async in _TARGETS:
            wrapper = (_async_wrapper if is_async else _sync_wrapper)(f"{module_name}.{path}", hook)
            yield module_name, path, lambda owner, name, wrapper=wrapper: wrapper
        for module_name, path, observe, when in _OBSERVERS:
            wrapper = _observer(f"{module_name}.{path}", observe, when)
            yield module_name, path, lambda owner, name, wrapper=wrapper: wrapper

    def _instrument(self, **kwargs) -> None:
        hooks.use_tracer_provider(kwargs.get("tracer_provider"))
        super()._instrument(**kwargs)
        hooks.publish_cache_hits()
