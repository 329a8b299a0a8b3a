"""An analyst agent on LangChain/LangGraph, governed by Agent OS: tools, model calls, a refused tool call.

Plain LangChain and Agent OS code: nothing here imports agent_os_otel. Run it under the distro and
every agent run, model call (with token usage), tool call and policy decision shows up as spans,
gen_ai.* metrics and audit records, the policy checks under their tool's span:

    opentelemetry-instrument python examples/langgraph_agent.py

The model is scripted (langchain-core's fake chat model), so it runs offline and with no API key;
swap in ChatOpenAI(model="gpt-4o") and nothing else changes. --hold keeps it running (and serving
/metrics) until its standard input closes.
"""

import argparse
import logging
import sys

from agent_os.integrations.base import GovernancePolicy
from agent_os.integrations.langchain_adapter import LangChainKernel, PolicyViolationError
from langchain.agents import create_agent
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.tools import tool

log = logging.getLogger("analyst")


class ScriptedModel(GenericFakeChatModel):
    """Answers from a script, as a provider would: tool calls, then a final answer, with token usage."""

    model: str = "scripted-gpt"

    def bind_tools(self, tools, **kwargs):
        return self


def turn(content: str = "", *calls: tuple[str, dict], tokens: tuple[int, int] = (60, 15)) -> AIMessage:
    return AIMessage(content=content, tool_calls=[{"name": name, "args": args, "id": f"call_{name}", "type": "tool_call"}
                                                  for name, args in calls],
                     usage_metadata={"input_tokens": tokens[0], "output_tokens": tokens[1],
                                     "total_tokens": sum(tokens)},
                     response_metadata={"finish_reason": "tool_calls" if calls else "stop"})


@tool
def web_search(query: str) -> str:
    """Search the web."""
    return "EU ETS allowances traded near 85 EUR per tonne in 2026."


@tool
def calculator(expression: str) -> str:
    """Evaluate 'a * b'."""
    left, _, right = expression.split()
    return str(float(left) * float(right))


@tool
def shell(command: str) -> str:
    """Run a shell command."""
    return "never runs: the policy refuses it"


SCRIPT = [
    turn("", ("web_search", {"query": "eu carbon price 2026"})),
    turn("", ("calculator", {"expression": "85 * 0.12"})),
    turn("12% of the EU carbon price is about 10.2 EUR per tonne.", tokens=(140, 22)),
    turn("", ("shell", {"command": "cat /etc/passwd"})),
]


def main() -> None:
    governance = LangChainKernel(policy=GovernancePolicy(allowed_tools=["web_search", "calculator"]))
    agent = create_agent(ScriptedModel(messages=iter(SCRIPT)), [web_search, calculator, shell],
                         middleware=[governance.as_middleware()], name="analyst")
    answer = agent.invoke({"messages": [("user", "What is 12% of the EU carbon price?")]},
                          {"configurable": {"thread_id": "session-1"}})
    log.info("answer: %s", answer["messages"][-1].content)
    try:
        agent.invoke({"messages": [("user", "Show me the server's users.")]})
    except PolicyViolationError as refused:
        log.warning("refused: %s", refused)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hold", action="store_true", help="keep running until standard input closes")
    main()
    if parser.parse_args().hold:
        sys.stdout.flush()
        sys.stdin.read()
