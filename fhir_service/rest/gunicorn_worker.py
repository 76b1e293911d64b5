"""The gunicorn worker `fhir-service serve` runs: gthread, with new connections spread over workers,
and gunicorn's own error answers as OperationOutcomes (write_outcome).

Every gthread worker polls the one listening socket and the first to wake takes a new connection.
A client's keep-alive connections (an EHR's pool, a load generator) arrive in a burst and stay
with whoever took them. In 20 wrk runs of 8 connections against 2 stock gthread workers, 5 split
4/4, 5 3/5, 1 2/6, 6 1/7 and 3 0/8. The busy worker then serves its share on one core, its GIL,
while the other idles: 0/8 ran at 1,700-1,900 req/s, against 6,000-7,000 otherwise.

Here a worker that holds as many connections as it has threads stops accepting for HEAD_START,
and its poll loop goes on serving its own connections. An emptier sibling, woken by the same
readiness, takes the new connection in that time. When the pause ends, the worker accepts the
connection if it is still waiting, so no client is refused or kept waiting longer than that.

This relies on gthread's set_accept_enabled, accept(listener) and wait_for_and_dispatch_events,
present from gunicorn 24 (pyproject pins the range).
"""

from __future__ import annotations

import json
import time

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

# Longer than the GIL switch interval (5 ms): a sibling whose request threads hold the GIL still
# gets to its poll loop in time. With 10 ms, 11 of 12 wrk runs split 4/4 and one 3/5.
HEAD_START = 0.010


# gunicorn's own answers (before the app sees a request) by status → OperationOutcome issue type
ISSUE_TYPES = {400: "structure", 403: "forbidden", 414: "too-long", 417: "invalid", 431: "too-long"}
ISSUE_TYPES |= {500: "exception", 501: "not-supported"}


def write_outcome(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn.util.write_error's replacement: a request line or headers too long (414, 431) or a
    malformed request (400) is answered, as every other error, with an OperationOutcome."""
    issue = {
        "severity": "error",
        "code": ISSUE_TYPES.get(status_int, "exception"),
        "diagnostics": mesg or reason,
    }
    body = json.dumps({"resourceType": "OperationOutcome", "issue": [issue]}).encode()  # ASCII: escaped
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/fhir+json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin1") + body)


class BalancedThreadWorker(ThreadWorker):
    _paused_until = 0.0  # monotonic time; 0: not paused

    def init_process(self):
        util.write_error = write_outcome  # in this worker process only (after the fork)
        super().init_process()

    def accept(self, listener):
        if self.nr_conns >= self.cfg.threads and not self._paused_until:
            self._paused_until = time.monotonic() + HEAD_START
            super().set_accept_enabled(False)
            return
        super().accept(listener)

    def set_accept_enabled(self, enabled):
        # run() re-enables accepting on every loop turn while it has room: not before the pause ends.
        if enabled and self._paused_until:
            if time.monotonic() < self._paused_until:
                return
            self._paused_until = 0.0
            super().set_accept_enabled(True)
            for listener in self.sockets:  # the connection no sibling took, if it still waits
                super().accept(listener)  # EAGAIN (ignored) when it has gone
            return
        super().set_accept_enabled(enabled)

    def wait_for_and_dispatch_events(self, timeout):
        remaining = self._paused_until - time.monotonic()
        if remaining > 0:  # wake when the pause ends, not after run()'s 1 s
            timeout = min(timeout, remaining)
        super().wait_for_and_dispatch_events(timeout)
