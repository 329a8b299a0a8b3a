"""The openai instrumentation's Guard, and making a model span current without letting a fault of ours out."""

from __future__ import annotations

from .. import genai
from ..guard import Guard

guard = Guard("openai")


def owning(op) -> genai.Activation:
    """``op.active()`` around an SDK call or stream step: the span is current and marked as the model
    span's owner (so inner layers enrich it), and detached again right after."""
    return genai.Activation(op if isinstance(op, genai.Operation) else None, guard, "activate span")
