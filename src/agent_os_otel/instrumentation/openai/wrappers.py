"""The wrappers put on the SDK: model calls (sync and async), the retry sleep, the stream helpers' close.

Each runs the SDK's own function exactly once with the caller's arguments and hands back its result or
exception untouched (a stream comes back proxied, see `streams`); everything of ours runs under the guard.
"""

from __future__ import annotations

import functools
import sys

from .. import genai
from . import request, result, streams
from .guarded import guard, owning
from ..patching import foreign_instrumentation


def _start(api: str, owner, name: str, instance, kwargs):
    if foreign_instrumentation(owner, name) and genai.open_operation("model") is None:
        return None  # another vendor records this call; see `stacking`
    return request.start(genai.tracer_for("openai"), api, getattr(instance, "_client", None), kwargs)


@functools.cache
def _sdk_types():
    """The SDK's stream and raw-response classes, imported at the first call: by then openai is in use."""
    from openai import AsyncStream, Stream  # pylint: disable=import-outside-toplevel
    from openai._legacy_response import LegacyAPIResponse  # pylint: disable=import-outside-toplevel
    return Stream, AsyncStream, LegacyAPIResponse


def _settle(api: str, op, outcome):
    """The result to hand back: a stream proxied so its span ends with it, anything else recorded now."""
    Stream, AsyncStream, LegacyAPIResponse = _sdk_types()  # pylint: disable=invalid-name
    raw = None
    if isinstance(outcome, LegacyAPIResponse):  # with_raw_response, as LangChain's ChatOpenAI calls the SDK
        raw, outcome = outcome, _parsed(outcome)
    recorder = result.STREAM_RECORDERS.get(api)
    if recorder is not None and isinstance(outcome, (Stream, AsyncStream)):
        traced = (streams.TracedStream if isinstance(outcome, Stream) else streams.TracedAsyncStream)(
            outcome, op, recorder(op))
        if raw is None:
            return traced
        raw._parsed_by_type[raw._cast_to] = traced  # pylint: disable=protected-access - see _parsed
        return raw
    result.record(api, op, outcome)
    op.end()
    return outcome if raw is None else raw


def _parsed(raw):
    """What ``raw.parse()`` will hand the user: parse() caches by target type, so parsing here gives the
    user the very object we record (and, above, our proxy of a stream in place of the bare one)."""
    try:
        return raw.parse()
    except Exception:  # pylint: disable=broad-except - the user meets the same error in their own parse()
        return None


def _returned(where: str, api: str, op, outcome):
    settled = guard.run(where, _settle, api, op, outcome)
    if settled is None:  # our fault while settling: still end the span, never lose the user's result
        guard.run(where, op.end)
        return outcome
    return settled


def model_call(api: str, owner, name: str, is_async: bool):
    """The wrapper for ``owner.name``, one of the SDK methods that call a model."""
    where = f"{owner.__name__}.{name}"
    settling = f"{where} result"

    def wrapper(wrapped, instance, args, kwargs):
        op = guard.run(where, _start, api, owner, name, instance, kwargs)
        if op is None:
            return wrapped(*args, **kwargs)
        try:
            with owning(op):
                outcome = wrapped(*args, **kwargs)
        except BaseException as exc:
            guard.run(where, op.end, exc)
            raise
        return _returned(settling, api, op, outcome)

    async def async_wrapper(wrapped, instance, args, kwargs):
        op = guard.run(where, _start, api, owner, name, instance, kwargs)
        if op is None:
            return await wrapped(*args, **kwargs)
        try:
            with owning(op):
                outcome = await wrapped(*args, **kwargs)
        except BaseException as exc:
            guard.run(where, op.end, exc)
            raise
        return _returned(settling, api, op, outcome)

    return async_wrapper if is_async else wrapper


def _note_retry(response, exc: BaseException | None) -> None:
    op = genai.open_operation("model")
    if op is None:
        return
    status = getattr(response, "status_code", None)
    op.retry(status, str(status) if status is not None else (genai.error_type(exc) if exc is not None else None))


def retry_sleep(wrapped, instance, args, kwargs):
    """``_sleep_for_retry``: the SDK calls it for each failed attempt it is about to retry, from inside
    the ``except`` that caught the failure (the HTTP response, or the transport error in sys.exc_info)."""
    guard.run("retry", _note_retry, kwargs.get("response"), sys.exc_info()[1])
    return wrapped(*args, **kwargs)


def helper_close(wrapped, instance, args, kwargs):
    """``ChatCompletionStream.close`` and its kin (async ``close`` ends the span when called)."""
    try:
        return wrapped(*args, **kwargs)
    finally:
        guard.run("stream helper close", streams.finish, getattr(instance, "_raw_stream", None))
