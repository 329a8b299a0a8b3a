"""Agents: ``create_agent {name}`` when a factory builds one, ``invoke_agent {name}`` for each run.

Any LangGraph graph is a Pregel, and most are not agents (a subgraph, a plain workflow). So only
graphs built by the agent factories (``langgraph.prebuilt.create_react_agent``,
``langchain.agents.create_agent``) get agent spans: the factory's result is remembered by its
builder, which the copies ``with_config`` makes share.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from ... import catalogue as c
from .. import genai
from . import models
from .models import arg

_DEFAULT_NAME = "LangGraph"  # what LangGraph names a compiled graph given no name


@dataclass(frozen=True)
class AgentInfo:
    provider: str | None
    model: str | None


_agents: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # builder of an agent graph -> AgentInfo


def _model_of(model) -> tuple[str | None, str | None]:
    """(provider, model) of a factory's ``model`` argument: a chat model, possibly with tools bound
    to it, or a "provider:model" string; a callable choosing the model at run time says nothing."""
    model = getattr(model, "bound", model)  # RunnableBinding from bind_tools
    if hasattr(model, "_get_ls_params"):
        return models.describe(model)
    if isinstance(model, str):
        provider, _, name = model.rpartition(":")
        return models.provider_name(provider or None), name
    return None, None


class Creation:
    """A ``create_agent`` span, and what the runs of the agent being built will say about its model."""

    def __init__(self, op, info: AgentInfo) -> None:
        self.op = op
        self.info = info

    def end(self, exc: BaseException | None = None) -> None:
        self.op.end(exc)


class Factory:
    """create_react_agent(model, tools, ...) / create_agent(model, tools, ..., name=None)."""

    @staticmethod
    def start(_module, args, kwargs):
        info = AgentInfo(*_model_of(arg(args, kwargs, 0, "model")))
        return Creation(genai.start_agent(genai.tracer_for("langchain"), name=kwargs.get("name") or _DEFAULT_NAME, provider=info.provider,
                                          model=info.model, operation=c.OP_CREATE_AGENT), info)

    @staticmethod
    def finish(creation: Creation, graph) -> None:
        _agents[graph.builder] = creation.info


class Run:
    """One run of an agent graph: its span ends when the run's stream does; the updates it streams
    say nothing the spans inside it do not (no ``step``, no ``record``)."""

    def __init__(self, op) -> None:
        self.op = op


class AgentRun:
    """Pregel.stream / astream(input, config=None, ...): invoke and ainvoke run through these too."""

    @staticmethod
    def wants(graph) -> bool:
        builder = getattr(graph, "builder", None)
        return builder is not None and builder in _agents

    @staticmethod
    def start(graph, args, kwargs):
        info = _agents[graph.builder]
        return Run(genai.start_agent(genai.tracer_for("langchain"), name=graph.name or _DEFAULT_NAME, provider=info.provider,
                                     model=info.model, conversation_id=_thread_id(graph, args, kwargs)))


def _thread_id(graph, args, kwargs) -> str | None:
    for config in (arg(args, kwargs, 1, "config"), graph.config):
        thread = ((config or {}).get("configurable") or {}).get("thread_id")
        if thread is not None:
            return str(thread)
    return None
