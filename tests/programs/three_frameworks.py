"""Test agent using all three frameworks against the loopback OpenAI server (OPENAI_BASE_URL):

1. the OpenAI SDK directly: one chat completion;
2. a LangGraph ReAct agent on langchain-openai's ChatOpenAI: model (asks for a tool), tool, model;
3. an OpenAI Agents SDK agent: model (asks for a tool), tool, model.

So five model calls, two tool calls and two agent runs in all. The spans the process produced
(however many instrumentors recorded them) are written to the facts file.
"""

import asyncio
import os

from harness import finish
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def openai_sdk() -> None:
    from openai import OpenAI

    OpenAI().chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hello"}])


def langgraph_agent() -> None:
    from langchain_core.tools import tool
    from langchain_openai import ChatOpenAI
    from langgraph.prebuilt import create_react_agent

    agent = create_react_agent(ChatOpenAI(model="gpt-4o", max_retries=0), [tool(get_weather)], name="forecaster")
    agent.invoke({"messages": [("user", "weather in Paris?")]})


def openai_agents_sdk() -> None:
    from agents import Agent, OpenAIChatCompletionsModel, Runner, function_tool, set_trace_processors
    from openai import AsyncOpenAI

    from agent_os_otel.instrumentation.openai_agents import OpenAIAgentsInstrumentor

    # The SDK's default processor exports to api.openai.com; keep only the OTel bridge, as the README
    # tells users to (inert when the openai_agents instrumentor is off).
    set_trace_processors([OpenAIAgentsInstrumentor().processor])
    model = OpenAIChatCompletionsModel(model="gpt-4o", openai_client=AsyncOpenAI())
    agent = Agent(name="assistant", instructions="Be brief.", model=model, tools=[function_tool(get_weather)])
    asyncio.run(Runner.run(agent, "weather in Rome?"))


def main() -> None:
    exported = InMemorySpanExporter()
    trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(exported))
    for part in os.environ.get("AGENT_TEST_PARTS", "openai,langgraph,agents").split(","):
        {"openai": openai_sdk, "langgraph": langgraph_agent, "agents": openai_agents_sdk}[part]()
    finish({"spans": [{"name": s.name, "scope": s.instrumentation_scope.name, "attrs": dict(s.attributes),
                       "id": s.context.span_id, "parent": s.parent.span_id if s.parent else None}
                      for s in exported.get_finished_spans()]})


if __name__ == "__main__":
    main()
