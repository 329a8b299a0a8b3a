"""A scripted Agent OS run with known counts (no import of agent_os_otel: zero-code).

It ends with `harness.finish` (facts: what the script did, for the test to compare against).
AGENT_OS_SCENARIO_AGENTS=n instead runs n
agents concurrently, each doing one allowed and one denied syscall.
"""

import asyncio
import os

import cmvk
from agent_control_plane.kernel_space import KernelSpace, SyscallRequest, SyscallType
from agent_control_plane.policy_engine import PolicyEngine
from agent_control_plane.signals import AgentKernelPanic
from agent_os.stateless import ExecutionContext, StatelessKernel
from emk import Episode, FileAdapter
from harness import finish

VERIFY_PAIRS = [("a b c", "a b c"), ("a b c", "a b d"), ("def f(x): return x", "SELECT * FROM users")]


async def syscall(kernel, ctx, kind, **args):
    try:
        return (await kernel.syscall(SyscallRequest(kind, args), ctx)).success
    except AgentKernelPanic:
        return False


async def scripted(facts: dict) -> None:
    engine = PolicyEngine()
    engine.add_constraint("alice", ["file_write", "file_read", "echo"])
    engine.add_constraint("carol", ["file_read"])
    kernel = KernelSpace(policy_engine=engine)
    kernel.register_tool("echo", lambda text: text.upper())
    alice, bob, carol = (kernel.create_agent_context(a) for a in ("alice", "bob", "carol"))
    outcomes = [
        await syscall(kernel, alice, SyscallType.SYS_WRITE, path="/mem/working/notes.txt", data="hello"),
        await syscall(kernel, alice, SyscallType.SYS_READ, path="/mem/working/notes.txt"),
        await syscall(kernel, alice, SyscallType.SYS_EXEC, tool="echo", args={"text": "hi"}),
        await syscall(kernel, bob, SyscallType.SYS_EXEC, tool="shell", args={"cmd": "rm -rf /"}),
        await syscall(kernel, carol, SyscallType.SYS_WRITE, path="/mem/working/x.txt", data="nope"),
    ]
    stateless = StatelessKernel()
    context = ExecutionContext(agent_id="dave", policies=["read_only"])
    outcomes.append((await stateless.execute("database_query", {"query": "SELECT 1"}, context)).success)
    outcomes.append((await stateless.execute("file_write", {"path": "/tmp/out.txt"}, context)).success)
    kernel.destroy_agent_context("alice")

    store = FileAdapter(os.path.join(os.getcwd(), "episodes.jsonl"))
    for n in range(3):
        store.store(Episode(goal=f"goal {n}", action="search", result="ok", reflection="fine",
                            metadata={"agent_id": "alice"}))
    retrieved = [len(store.retrieve(filters={"agent_id": "alice"})), len(store.retrieve(limit=1))]
    scores = [cmvk.verify(a, b) for a, b in VERIFY_PAIRS]
    facts.update(
        allowed=outcomes.count(True), denied=outcomes.count(False), stores=3, retrievals=len(retrieved),
        memory_bytes=os.path.getsize(store.filepath), drift=[s.drift_score for s in scores],
        failed=[not s.passed() for s in scores], active_agents=kernel.metrics.active_agents,
    )


async def concurrent(count: int, facts: dict) -> None:
    engine = PolicyEngine()
    kernel = KernelSpace(policy_engine=engine)

    async def agent(n: int) -> None:
        name = f"agent-{n:02d}"
        engine.add_constraint(name, ["file_write"])
        ctx = kernel.create_agent_context(name)
        await syscall(kernel, ctx, SyscallType.SYS_WRITE, path=f"/mem/working/{name}.txt", data="x")
        await asyncio.sleep(0)  # let the others interleave
        await syscall(kernel, ctx, SyscallType.SYS_EXEC, tool="shell", args={})

    await asyncio.gather(*(agent(n) for n in range(count)))
    facts.update(agents=count)


def main() -> None:
    facts: dict = {}
    count = int(os.environ.get("AGENT_OS_SCENARIO_AGENTS", "0"))
    asyncio.run(concurrent(count, facts) if count else scripted(facts))
    finish(facts)


if __name__ == "__main__":
    main()
