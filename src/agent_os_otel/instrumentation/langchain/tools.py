"""Tool executions: ``execute_tool {name}`` spans.

A LangGraph ToolNode runs each tool call through its ``wrap_tool_call`` middleware chain (where
Agent OS's GovernanceMiddleware checks policy) and then ``BaseTool.run``. The span opens at the
ToolNode, outside that chain, so policy checks nest under the tool they decide about; the
``BaseTool.run`` inside finds the span of the same call open and adds nothing. A tool run outside
LangGraph (``tool.invoke(...)``) gets its span from ``BaseTool.run`` / ``arun``.
"""

from __future__ import annotations

from langchain_core.messages import ToolMessage

from ... import catalogue as c
from .. import genai
from .models import arg


def _start(name, call_id, description, arguments):
    op = genai.start_tool(genai.tracer_for("langchain"), name=str(name), call_id=call_id, description=description)
    op.capture(c.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, arguments)
    return op


def _finish(op, result) -> None:
    if op.capturing:
        op.capture(c.ATTR_GEN_AI_TOOL_CALL_RESULT, result.content if isinstance(result, ToolMessage) else result)


class ToolNodeCall:
    """ToolNode._run_one / _arun_one(call, input_type, tool_runtime): one tool call of a model turn."""

    @staticmethod
    def start(node, args, kwargs):
        call = arg(args, kwargs, 0, "call")
        tool = node.tools_by_name.get(call["name"])
        return _start(call["name"], call.get("id"), getattr(tool, "description", None), call.get("args"))

    finish = staticmethod(_finish)


class ToolRun:
    """BaseTool.run / arun(tool_input, ..., tool_call_id=None, ...)."""

    @staticmethod
    def start(tool, args, kwargs):
        return _start(tool.name, kwargs.get("tool_call_id"), tool.description, arg(args, kwargs, 0, "tool_input"))

    finish = staticmethod(_finish)


def handled_tool_error(args, kwargs) -> None:
    """LangChain and LangGraph turn a failed tool call into an error message for the model (the
    ``_handle_tool_error`` helpers get the exception): the tool span still ends in error. (When the
    helper raises it again instead, the span's end records the exception itself.)"""
    op = genai.open_operation("tool")
    if op is not None:
        exc = arg(args, kwargs, 0, "e")
        op.fail_with(genai.error_type(exc), f"{type(exc).__name__}: {exc}")
