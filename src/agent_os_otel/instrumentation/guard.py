"""The rule every instrumentation lives by: our error is logged once and never reaches user code."""

from __future__ import annotations

import logging

_log = logging.getLogger("agent_os_otel.instrumentation")


class Guard:
    """Runs instrumentation code; the first internal error at each place is logged, then it stays quiet."""

    def __init__(self, instrumentation: str) -> None:
        self.instrumentation = instrumentation
        self.reported: set[str] = set()

    def run(self, where: str, function, *args, **kwargs):
        """``function(*args, **kwargs)``, or None if it raised (after logging the first time)."""
        try:
            return function(*args, **kwargs)
        except Exception as exc:  # pylint: disable=broad-except - our fault must not become the user's
            self.report(where, exc)
            return None

    def report(self, where: str, exc: Exception) -> None:
        if where in self.reported:
            return
        self.reported.add(where)
        _log.warning("agent-os-otel: internal error in the %s instrumentation at %s (%s: %s); the call itself "
                     "was not affected. Further errors here are not reported.",
                     self.instrumentation, where, type(exc).__name__, exc)
