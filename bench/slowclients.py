"""Slow clients beside the benchmark's load: connections that cost a thread-per-connection server
a thread each, and an event-loop server nothing.

- "slow-headers": each connection sends a request line, then one header line every INTERVAL seconds
  and never ends its headers (the server closes it after its header read timeout; it is reopened);
- "idle-keepalive": each connection sends one request, reads the answer and then stays open, idle
  (reopened if the server closes it).

One thread drives every connection (a selector), so the load generator keeps the cores.
"""

from __future__ import annotations

import selectors
import socket
import threading
import time

KINDS = ("slow-headers", "idle-keepalive")
INTERVAL = 1.0  # seconds between a slow connection's header lines


class SlowClients:
    def __init__(self, host: str, port: int, kind: str, count: int, path: str = "/fhir/metadata"):
        assert kind in KINDS
        self.host, self.port, self.kind, self.count, self.path = host, port, kind, count, path
        self.opened = self.reopened = self.failed = 0
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"slow-{kind}", daemon=True)

    def __enter__(self):
        self._thread.start()
        self._ready.wait(60)
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(30)

    def summary(self) -> dict:
        return {
            "kind": self.kind,
            "connections": self.count,
            "reopened": self.reopened,
            "failed": self.failed,
        }

    def _open(self) -> socket.socket | None:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=10)
        except OSError:
            self.failed += 1
            return None
        self.opened += 1
        request = f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\n".encode()
        try:
            if self.kind == "slow-headers":
                sock.sendall(request)  # and never the blank line that ends the headers
            else:
                sock.sendall(request + b"Accept: application/fhir+json\r\n\r\n")
                _read_answer(sock)
        except OSError:
            self.failed += 1
            sock.close()
            return None
        sock.setblocking(False)
        return sock

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        socks: dict[socket.socket, int] = {}
        sent = 0
        try:
            for _ in range(self.count):
                if self._stop.is_set():
                    return
                if (sock := self._open()) is not None:
                    socks[sock] = 0
                    selector.register(sock, selectors.EVENT_READ)
            self._ready.set()
            next_line = time.monotonic() + INTERVAL
            while not self._stop.is_set():
                for key, _ in selector.select(timeout=max(0.0, next_line - time.monotonic())):
                    self._replace(key.fileobj, socks, selector)  # an answer or EOF: the server let go
                if time.monotonic() >= next_line:
                    next_line += INTERVAL
                    if self.kind == "slow-headers":
                        sent += 1
                        for sock in list(socks):
                            try:
                                sock.send(b"X-Slow-%d: y\r\n" % sent)
                            except OSError:
                                self._replace(sock, socks, selector)
                while len(socks) < self.count and not self._stop.is_set():  # top up what failed
                    if (sock := self._open()) is None:
                        break
                    socks[sock] = 0
                    selector.register(sock, selectors.EVENT_READ)
        finally:
            self._ready.set()
            for sock in socks:
                sock.close()
            selector.close()

    def _replace(self, sock, socks, selector) -> None:
        selector.unregister(sock)
        socks.pop(sock, None)
        sock.close()
        self.reopened += 1
        if (new := self._open()) is not None:
            socks[new] = 0
            selector.register(new, selectors.EVENT_READ)


def _read_answer(sock: socket.socket) -> None:
    """Reads one answer with a Content-Length body (the health check's)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise OSError("closed")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise OSError("closed")
        body += chunk
