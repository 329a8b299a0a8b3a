"""How our instrumentors patch: on import, marked as ours, removed exactly, among other vendors' wrappers.

Our layer is found by a mark on its wrapper function, wherever it sits in a stack of wrapt wrappers,
so "already patched" and "remove only ours" hold when another vendor wraps the same method before or
after us (OpenLLMetry's OpenAI instrumentation does).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

import wrapt
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor

from . import genai
from .guard import Guard

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
    """Does another vendor's instrumentation also wrap ``owner.name`` (inside or outside ours)?

    Such a wrapper (OpenLLMetry's ``opentelemetry-instrumentation-openai``, contrib's ``-openai-v2``)
    records the call itself, and some honour neither our context keys nor a current span (OpenLLMetry's
    Responses wrapper opens its span after the call returns): stepping aside is the only way to one span.
    """
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


def find(module, path: str):
    """(owner, attribute name) for a dotted ``path`` inside ``module``, or None when this version lacks it."""
    owner = module
    *parents, name = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent, None)
        if owner is None:
            return None
    return (owner, name) if hasattr(owner, name) else None


class PatchingInstrumentor(BaseInstrumentor):
    """Base of our instrumentors: wraps ``targets()`` when (and only if) the program imports their modules.

    Patching waits for each module's import (wrapt post-import hooks): a program that never imports a
    framework never pays for importing it, and one that does is patched before its first call.
    Uninstrument removes exactly our layers, wherever they sit among other vendors' wrappers.
    """

    # No __init__: BaseInstrumentor is a singleton and ``SomeInstrumentor()`` re-runs __init__ on it, which
    # would forget what an earlier ``SomeInstrumentor().instrument()`` patched.
    _patched: list[tuple[object, str]]
    _active = False
    guard: Guard
    genai_framework: str | None = None
    """GenAI instrumentors: the framework whose tracer ``instrument(tracer_provider=...)`` sets (genai.tracer_for)."""

    def targets(self) -> Iterable[tuple[str, str, Callable[[object, str], Callable]]]:
        """(module, dotted attribute path, wrapper factory): the factory gets (owner, attribute name) when
        the module is imported, so a framework's hook code is imported with the framework, not before."""
        raise NotImplementedError

    def _instrument(self, **kwargs) -> None:
        if self.genai_framework:
            genai.use_tracer_provider(self.genai_framework, kwargs.get("tracer_provider"))
        self._active = True
        self._patched = []
        by_module: dict[str, list] = {}
        for module_name, path, make_wrapper in self.targets():
            by_module.setdefault(module_name, []).append((path, make_wrapper))
        for module_name, patches in by_module.items():
            wrapt.register_post_import_hook(functools.partial(self._patch_module, patches), module_name)

    def _patch_module(self, patches, module) -> None:
        if not self._active:  # uninstrumented since the hook was registered
            return
        for path, make_wrapper in patches:
            # this runs inside the program's own import statement: our fault must not fail it
            self.guard.run(f"patching {module.__name__}.{path}", self._patch, module, path, make_wrapper)

    def _patch(self, module, path: str, make_wrapper) -> None:
        found = find(module, path)
        if found is None:
            return  # absent in this version
        if not wrapped_by_us(*found):
            wrapt.wrap_function_wrapper(*found, mark(make_wrapper(*found)))
        # a re-export of a function already wrapped in its own module holds our wrapper too:
        # recorded either way, so that uninstrument restores both names
        self._patched.append(found)

    def _uninstrument(self, **kwargs) -> None:
        self._active = False
        while self._patched:
            unwrap_ours(*self._patched.pop())
