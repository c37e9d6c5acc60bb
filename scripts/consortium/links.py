"""The network between the loopback nodes: one TCP relay per ordered pair of nodes, so a link can be
cut and mended like a real network.

Node A reaches node B's p2p port only through the relay ``A>B``. Cutting a link stops bytes in both
directions without closing anything — what a partition looks like to geth: the connections stay
up and nothing gets through; mending lets the held bytes flow again at once. (Dropping the peers
instead would make geth wait out its 35 s redial history before reconnecting.) A cut longer than
geth's 30 s read timeout ends the connections, and geth redials within 35 s of the mend.
"""

from __future__ import annotations

import contextlib
import socket
import threading

__all__ = ["Link"]

_CHUNK = 1 << 16


class Link:
    """Relays connections accepted on ``127.0.0.1:port`` to ``127.0.0.1:target``."""

    def __init__(self, port: int, target: int) -> None:
        self.port = port
        self.target = target
        self._open = threading.Event()
        self._open.set()
        self._closed = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", port))
        threading.Thread(target=self._accept, daemon=True, name=f"link:{port}").start()

    @property
    def is_cut(self) -> bool:
        return not self._open.is_set()

    def cut(self) -> None:
        self._open.clear()

    def mend(self) -> None:
        self._open.set()

    def close(self) -> None:
        self._closed.set()
        self._open.set()
        with self._lock:
            for s in [self._server, *self._sockets]:
                with contextlib.suppress(OSError):
                    s.close()
            self._sockets.clear()

    def _track(self, s: socket.socket) -> None:
        with self._lock:
            if self._closed.is_set():
                s.close()
                raise OSError("link closed")
            self._sockets.append(s)

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                inbound, _ = self._server.accept()
            except OSError:  # closed
                continue
            try:
                outbound = socket.create_connection(("127.0.0.1", self.target), timeout=5)
                outbound.settimeout(None)
                self._track(inbound)
                self._track(outbound)
            except OSError:  # the node behind is down: the dialer sees a closed connection
                inbound.close()
                continue
            for src, dst in ((inbound, outbound), (outbound, inbound)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(_CHUNK):
                self._open.wait()  # cut: hold the bytes (and stop reading) until mended
                if self._closed.is_set():
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
