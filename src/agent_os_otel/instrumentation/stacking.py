"""Sharing SDK methods with other wrappers: ours is found (and removed) wherever it sits in the stack.

Another vendor's OpenAI instrumentation wrapping the same method (OpenLLMetry's
``opentelemetry-instrumentation-openai``, contrib's ``opentelemetry-instrumentation-openai-v2``) records
the call itself. OpenLLMetry's Responses wrapper honours neither our context keys nor a current span (it
opens its span after the call returns), so the only way to one model span per call, in either order of
installation, is to step aside whenever such a wrapper is on the method.
"""

from __future__ import annotations

import wrapt

_MARK = "_agent_os_otel_wrapper"
_FOREIGN_PACKAGES = ("opentelemetry.instrumentation.",)


def mark(wrapper):
    setattr(wrapper, _MARK, True)
    return wrapper


def _layers(owner, name):
    """The wrappers stacked on ``owner.name``, outermost first."""
    layer = vars(owner).get(name)
    while isinstance(layer, wrapt.FunctionWrapper):  # (not an ObjectProxy subclass in wrapt 2)
        yield layer
        layer = layer.__wrapped__


def _ours(layer) -> bool:
    return getattr(getattr(layer, "_self_wrapper", None), _MARK, False)


def wrapped_by_us(owner, name) -> bool:
    return any(_ours(layer) for layer in _layers(owner, name))


def foreign_instrumentation(owner, name) -> bool:
    """Does another vendor's instrumentation also wrap ``owner.name`` (inside or outside ours)?"""
    return any(getattr(getattr(layer, "_self_wrapper", None), "__module__", "").startswith(_FOREIGN_PACKAGES)
               for layer in _layers(owner, name))


def unwrap_ours(owner, name) -> None:
    """Take our layer out, leaving any layer another vendor put above or below it in place."""
    outer = None
    for layer in _layers(owner, name):
        if _ours(layer):
            if outer is None:
                setattr(owner, name, layer.__wrapped__)
            else:
                outer.__wrapped__ = layer.__wrapped__
            return
        outer = layer
