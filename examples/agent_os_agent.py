"""A research team on the Agent OS kernel: three agents at once, tools, policies, memory, verification.

Plain Agent OS code: nothing here imports agent_os_otel. Run it under the distro and every action,
policy decision, signal, memory operation and drift score shows up as spans, metrics and audit
records:

    opentelemetry-instrument python examples/agent_os_agent.py

--hold keeps it running (and serving /metrics) until its standard input closes.
"""

import argparse
import asyncio
import logging
import os
import sys
import tempfile

import cmvk
from agent_control_plane.kernel_space import KernelSpace, SyscallRequest, SyscallType
from agent_control_plane.policy_engine import PolicyEngine
from agent_control_plane.signals import AgentKernelPanic
from agent_os.stateless import ExecutionContext, StatelessKernel
from emk import Episode, FileAdapter

log = logging.getLogger("research_team")

SEARCH_RESULTS = {
    "eu carbon price 2026": "EU ETS allowances traded near 85 EUR per tonne in 2026.",
    "carbon price drivers": "Supply caps, gas prices and industrial demand drive allowance prices.",
}
REFERENCE_SUMMARY = "EU ETS allowances traded near 85 EUR per tonne, driven by supply caps and gas prices."


def web_search(query: str) -> str:
    return SEARCH_RESULTS.get(query, "no results")


def calculator(expression: str) -> float:
    left, op, right = expression.split()
    return {"*": float(left) * float(right), "+": float(left) + float(right)}[op]


def build_kernel() -> KernelSpace:
    policies = PolicyEngine()
    policies.add_constraint("researcher", ["web_search", "calculator", "file_read"])
    policies.add_constraint("writer", ["file_write", "file_read", "calculator"])
    policies.add_constraint("intern", ["web_search"])
    kernel = KernelSpace(policy_engine=policies)
    kernel.register_tool("web_search", web_search)
    kernel.register_tool("calculator", calculator)
    return kernel


async def call_tool(kernel, ctx, tool: str, **args):
    result = await kernel.syscall(SyscallRequest(SyscallType.SYS_EXEC, {"tool": tool, "args": args}), ctx)
    return result.return_value


async def researcher(kernel: KernelSpace, memory: FileAdapter) -> str:
    ctx = kernel.create_agent_context("researcher")
    findings = [await call_tool(kernel, ctx, "web_search", query=q) for q in SEARCH_RESULTS]
    tonnes = await call_tool(kernel, ctx, "calculator", expression="85 * 1200")
    summary = "EU ETS allowances traded near 85 EUR per tonne, driven by supply caps and gas prices."
    memory.store(Episode(goal="price EU carbon", action="web_search", result=" ".join(findings),
                         reflection=f"cost of 1200 t is {tonnes:.0f} EUR", metadata={"agent_id": "researcher"}))
    log.info("researcher found %d sources", len(findings), extra={"agent_id": "researcher", "action": "web_search"})
    return summary


async def writer(kernel: KernelSpace, memory: FileAdapter, summary: str) -> str:
    ctx = kernel.create_agent_context("writer")
    past = memory.retrieve(filters={"agent_id": "researcher"})
    draft = f"# Carbon briefing\n\n{summary}\n\nSources: {len(past)} episode(s).\n"
    await ctx.write("/mem/working/briefing.md", draft)
    text = await ctx.read("/mem/working/briefing.md")
    memory.store(Episode(goal="write briefing", action="file_write", result="briefing.md", reflection="done",
                         metadata={"agent_id": "writer"}))
    log.info("writer saved the briefing", extra={"agent_id": "writer", "action": "file_write",
                                                 "resource": "/mem/working/briefing.md"})
    return text.decode() if isinstance(text, bytes) else str(text)


async def intern(kernel: KernelSpace) -> None:
    ctx = kernel.create_agent_context("intern")
    await call_tool(kernel, ctx, "web_search", query="carbon price drivers")
    try:  # not on the intern's allow-list: the kernel refuses and terminates the agent
        await call_tool(kernel, ctx, "shell", cmd="curl http://internal/secrets")
    except AgentKernelPanic as panic:
        log.warning("intern was stopped: %s", panic.signal.signal.name, extra={"agent_id": "intern",
                                                                                 "decision": "deny"})


async def analyst() -> None:
    """A stateless agent with a read-only policy: queries pass, writes are refused."""
    kernel = StatelessKernel()
    ctx = ExecutionContext(agent_id="analyst", policies=["read_only"])
    await kernel.execute("database_query", {"table": "allowances", "query": "SELECT avg(price)"}, ctx)
    refused = await kernel.execute("database_write", {"table": "allowances"}, ctx)
    log.warning("analyst write refused: %s", refused.error, extra={"agent_id": "analyst", "decision": "deny"})


async def main(hold: bool) -> None:
    kernel = build_kernel()
    memory = FileAdapter(os.path.join(tempfile.mkdtemp(prefix="agent-os-"), "episodes.jsonl"))
    summary, _, _ = await asyncio.gather(researcher(kernel, memory), intern(kernel), analyst())
    briefing = await writer(kernel, memory, summary)
    # cross-model verification: how far does each output drift from what we expect?
    good = cmvk.verify(summary, REFERENCE_SUMMARY)
    bad = cmvk.verify(briefing, "SELECT price FROM allowances WHERE year = 2026")
    log.info("verification: summary drift %.3f, briefing drift %.3f", good.drift_score, bad.drift_score)
    kernel.destroy_agent_context("researcher")
    print(f"done: summary drift {good.drift_score:.3f} (passed={good.passed()}), "
          f"briefing drift {bad.drift_score:.3f} (passed={bad.passed()})")
    if hold:
        sys.stdout.flush()
        sys.stdin.read()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hold", action="store_true", help="keep serving /metrics until stdin closes")
    asyncio.run(main(parser.parse_args().hold))
