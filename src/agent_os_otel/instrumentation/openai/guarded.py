"""The openai instrumentation's Guard, and making a model span current without letting a fault of ours out."""

from __future__ import annotations

from contextlib import contextmanager

from ..guard import Guard

guard = Guard("openai")


def _enter(op):
    scope = op.active()
    scope.__enter__()
    return scope


@contextmanager
def owning(op):
    """``op.active()`` around an SDK call or stream step: the span is current and marked as the model
    span's owner (so inner layers enrich it), and detached again right after."""
    scope = guard.run("activate span", _enter, op)
    try:
        yield
    finally:
        if scope is not None:
            guard.run("deactivate span", scope.__exit__, None, None, None)
