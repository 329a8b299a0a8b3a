"""Streams handed back to the user in place of the SDK's own: the same object to every look (a proxy),
while the model span stays open until the stream ends.

A stream ends when it is read to the end, raises, is closed (``close()``, ``with``/``async with``, the
``.stream()`` helpers' exit), or is dropped unread: the proxy's finalizer ends the span then. Each step
of the underlying stream runs with the span current, so inner layers enrich it; between steps the
consumer's own context is untouched.
"""

from __future__ import annotations

import weakref

import wrapt

from .guarded import guard, owning


def _end(op, recorder) -> None:
    guard.run("stream end", recorder.record, op)
    guard.run("stream end", op.end, recorder.error)


class _Traced(wrapt.ObjectProxy):
    def __init__(self, stream, op, recorder) -> None:
        super().__init__(stream)
        self._self_op = op
        self._self_recorder = recorder
        self._self_end = weakref.finalize(self, _end, op, recorder)

    def _self_finish(self, exc: BaseException | None = None) -> None:
        """Idempotent: the finalizer runs once, now or at collection, whichever comes first."""
        if exc is not None and self._self_end.alive:
            self._self_recorder.error = exc
        self._self_end()


class TracedStream(_Traced):
    """openai.Stream"""

    def __iter__(self):
        return self

    def __next__(self):
        with owning(self._self_op):
            try:
                item = self.__wrapped__.__next__()
            except StopIteration:
                self._self_finish()
                raise
            except BaseException as exc:
                self._self_finish(exc)
                raise
        guard.run("stream chunk", self._self_recorder.add, item)
        return item

    def __enter__(self):
        self.__wrapped__.__enter__()
        return self

    def __exit__(self, *exc_info):
        try:
            return self.__wrapped__.__exit__(*exc_info)
        finally:
            self._self_finish()

    def close(self) -> None:
        try:
            self.__wrapped__.close()
        finally:
            self._self_finish()


class TracedAsyncStream(_Traced):
    """openai.AsyncStream"""

    def __aiter__(self):
        return self

    async def __anext__(self):
        with owning(self._self_op):
            try:
                item = await self.__wrapped__.__anext__()
            except StopAsyncIteration:
                self._self_finish()
                raise
            except BaseException as exc:
                self._self_finish(exc)
                raise
        guard.run("stream chunk", self._self_recorder.add, item)
        return item

    async def __aenter__(self):
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(self, *exc_info):
        try:
            return await self.__wrapped__.__aexit__(*exc_info)
        finally:
            self._self_finish()

    async def close(self) -> None:
        try:
            await self.__wrapped__.close()
        finally:
            self._self_finish()


def finish(stream) -> None:
    """End the span of a stream the ``.stream()`` helpers closed behind its back (they close the HTTP
    response directly, not the Stream)."""
    if isinstance(stream, _Traced):
        stream._self_finish()  # pylint: disable=protected-access
