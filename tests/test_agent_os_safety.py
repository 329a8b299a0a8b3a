"""The instrumentation never changes what the kernel does, and `uninstrument` undoes it exactly."""

import textwrap

from tests.support.run import run_python

SCENARIO = """
import asyncio, json, logging, sys
import cmvk, cmvk.verification
from agent_control_plane.kernel_space import KernelSpace, SyscallRequest, SyscallType
from agent_control_plane.policy_engine import PolicyEngine
from agent_control_plane.signals import AgentKernelPanic, SignalDispatcher
from agent_os.stateless import ExecutionContext, StatelessKernel
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from agent_os_otel.instrumentation.agent_os import AgentOsInstrumentor, hooks

memory = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(memory))
trace.set_tracer_provider(provider)

def outcome(coroutine):
    try:
        result = asyncio.run(coroutine)
        return ("returned", {k: v for k, v in vars(result).items() if k not in ("execution_time_ms", "metadata",
                                                                                "updated_context")})
    except Exception as exc:
        return ("raised", type(exc).__name__, str(exc))

def behaviour():
    engine = PolicyEngine(); engine.add_constraint("a", ["file_write"])
    kernel = KernelSpace(policy_engine=engine)
    ctx = kernel.create_agent_context("a")
    results = [outcome(kernel.syscall(SyscallRequest(SyscallType.SYS_WRITE, {"path": "/mem/working/f", "data": "x"}), ctx)),
               outcome(kernel.syscall(SyscallRequest(SyscallType.SYS_EXEC, {"tool": "shell", "args": {}}), ctx)),
               outcome(kernel.syscall(SyscallRequest(SyscallType.SYS_READ, {"path": "/mem/working/f"}), ctx))]
    stateless = StatelessKernel()
    c = ExecutionContext(agent_id="s", policies=["read_only"])
    results += [outcome(stateless.execute("file_write", {"path": "/x"}, c)),
                outcome(stateless.execute("query", {}, c))]
    results.append(("verify", cmvk.verify("a b", "a c").drift_score))
    return json.loads(json.dumps(results, default=str))
"""


def run(tmp_path, body):
    result = run_python(tmp_path, SCENARIO + textwrap.dedent(body))
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_uninstrument_restores_every_original_exactly(tmp_path):
    run(tmp_path, """
        targets = [(KernelSpace, "syscall"), (KernelSpace, "create_agent_context"), (PolicyEngine, "check_violation"),
                   (SignalDispatcher, "signal"), (StatelessKernel, "execute"), (cmvk, "verify"),
                   (cmvk.verification, "verify"), (cmvk, "verify_batch")]
        originals = [vars(owner)[name] for owner, name in targets]
        plain = behaviour()
        instrumentor = AgentOsInstrumentor()
        instrumentor.instrument()
        assert all(vars(owner)[name] is not original for (owner, name), original in zip(targets, originals))
        assert behaviour() == plain, "instrumented behaviour differs"
        assert memory.get_finished_spans(), "instrumentation produced no spans"
        instrumentor.uninstrument()
        assert all(vars(owner)[name] is original for (owner, name), original in zip(targets, originals))
        memory.clear()
        assert behaviour() == plain
        assert memory.get_finished_spans() == (), "spans after uninstrument"
    """)


def test_faults_in_our_code_never_reach_the_caller(tmp_path):
    result = run(tmp_path, """
        plain = behaviour()
        AgentOsInstrumentor().instrument()

        def boom(*args, **kwargs):
            raise RuntimeError("injected fault")

        # one fault where a call starts, one where it succeeds, one where it fails
        real_init = hooks.Call.__init__
        hooks.Call.__init__ = boom
        assert behaviour() == plain, "fault at start changed the kernel's behaviour"
        hooks.Call.__init__ = real_init
        memory.clear()
        hooks.audit.record_decision = boom
        hooks.instruments.actions_blocked.add = boom
        hooks.instruments.verifications.add = boom
        assert behaviour() == plain, "faults at finish/fail changed the kernel's behaviour"
        assert len(memory.get_finished_spans()) >= 5, "spans still end when a later step of ours fails"
        print("OK")
    """)
    assert result.stdout.strip() == "OK"
    warnings = [line for line in result.stderr.splitlines() if "internal error in the agent_os instrumentation" in line]
    assert warnings, "faults must be reported"
    assert len(warnings) == len(set(warnings)), "each fault is reported once"
    assert "Traceback" not in result.stderr
