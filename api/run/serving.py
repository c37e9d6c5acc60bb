"""Running the app under uvicorn, in one process or several that share the connections fairly.

uvicorn's own multi-process mode hands every worker the same listening socket and lets uvloop
accept on it, and uvloop takes every queued connection at each wake-up. When clients connect in
a burst — a reverse proxy opening its keep-alive pool, a load test — the first worker to wake
takes them all (15 of 16 in our benchmark) and the other cores idle while its clients queue.

Here every worker counts its open connections in shared memory and accepts one connection at a
time; a worker with more than a sibling leaves a queued connection to the siblings for a moment
(:data:`DEFER_S`) before taking it itself. A burst thus alternates between the workers, later
connections go to the less loaded one, and a hung sibling delays an accept by at most
``DEFER_S``. The supervisor keeps ``workers`` processes alive, replacing one that dies, and stops
them all on SIGINT or SIGTERM; the workers also stop when the supervisor is killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

log = logging.getLogger("sunlight.serving")


def run(app: str, *, host: str, port: int, workers: int = 1, **options: Any) -> None:
    """Serve the app factory at ``app`` (``module:function``) on ``host:port``."""
    config = uvicorn.Config(app, factory=True, host=host, port=port, workers=workers, **options)
    if workers == 1:
        with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the SIGINT it handled
            Server(config).run()
        return
    sock = config.bind_socket()
    sock.listen(config.backlog)
    try:
        _Supervisor(config, sock, workers).run()
    finally:
        sock.close()


class Server(uvicorn.Server):
    """uvicorn's server, with the garbage collector told what the start-up built."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        # What the app loaded at start-up (modules, routes, the contract ABI...) lives as long as
        # the process: freezing it keeps every full collection — a pause in every request under
        # way — from walking it again.
        gc.collect()
        gc.freeze()


class FairAcceptServer(Server):
    """A uvicorn worker that takes its share of connections from a socket its siblings share.

    ``load`` holds every worker's open connections, in shared memory; this worker's is
    ``load[slot]``. When a connection is queued, the worker with the fewest accepts it at once;
    a busier one first gives the others up to :data:`DEFER_S` to take it.
    """

    def __init__(self, config: uvicorn.Config, load: Any, slot: int) -> None:
        super().__init__(config)
        self._load = load
        self._slot = slot
        self._attaching: set[asyncio.Task[None]] = set()  # accepted, not yet connections
        self._tasks: list[asyncio.Task[None]] = []

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])  # the lifespan, with no listener of uvicorn's own
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._accept(sock)) for sock in sockets or []]
        self._tasks.append(loop.create_task(self._publish_load()))

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for task in self._tasks:
            task.cancel()
        await super().shutdown(sockets=sockets)

    def _busier(self) -> bool:
        mine = len(self.server_state.connections) + len(self._attaching)
        self._load[self._slot] = mine
        others = [n for i, n in enumerate(self._load) if i != self._slot]
        return bool(others) and mine > min(others)

    async def _publish_load(self) -> None:
        while True:  # closed connections lower the count between accepts
            self._busier()
            await asyncio.sleep(0.25)

    async def _accept(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        config = self.config
        sock.setblocking(False)

        def protocol() -> asyncio.Protocol:
            return config.http_protocol_class(  # type: ignore[call-arg]
                config=config,
                server_state=self.server_state,
                app_state=self.lifespan.state,
                _loop=loop,
            )

        while True:
            await _readable(loop, sock)
            deadline = loop.time() + DEFER_S
            while self._busier() and loop.time() < deadline:
                await asyncio.sleep(0.001)
            try:
                conn, _ = sock.accept()
            except BlockingIOError:  # a sibling took it
                continue
            except OSError as exc:  # out of file descriptors, say: let connections finish
                log.error("cannot accept a connection: %s", exc)
                await asyncio.sleep(0.1)
                continue
            task = loop.create_task(_attach(loop, protocol, conn))
            self._attaching.add(task)
            task.add_done_callback(self._attaching.discard)


async def _attach(loop: asyncio.AbstractEventLoop, protocol: Any, conn: socket.socket) -> None:
    try:
        await loop.connect_accepted_socket(protocol, conn)
    except OSError as exc:  # the client left before we got to it
        log.info("dropped a connection at accept: %s", exc)
        conn.close()


DEFER_S = 0.1
"""How long a busier worker leaves a queued connection to its less loaded siblings."""


async def _readable(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> None:
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(sock, wake)
    try:
        await ready
    finally:
        loop.remove_reader(sock)


def _worker(
    config: uvicorn.Config, sock: socket.socket, load: Any, slot: int, supervisor: int
) -> None:
    _die_with_parent()
    if os.getppid() != supervisor:  # it died before we asked
        return
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C reaches the whole process group
        FairAcceptServer(config, load, slot).run(sockets=[sock])


def _die_with_parent() -> None:
    """Ask Linux for SIGTERM (a graceful shutdown) when the supervisor dies, even by SIGKILL."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


_PR_SET_PDEATHSIG = 1


class _Supervisor:
    def __init__(self, config: uvicorn.Config, sock: socket.socket, workers: int) -> None:
        self._config = config
        self._sock = sock
        self._workers = workers
        self._spawn = multiprocessing.get_context("spawn")
        self._load = self._spawn.Array("i", workers, lock=False)
        self._stop = threading.Event()

    def _start(self, slot: int) -> multiprocessing.process.BaseProcess:
        # Until the new worker counts its connections, its siblings must not wait for it.
        self._load[slot] = 1 << 30
        process = self._spawn.Process(
            target=_worker, args=(self._config, self._sock, self._load, slot, os.getpid())
        )
        process.start()
        return process

    def run(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self._stop.set())
        processes = [self._start(slot) for slot in range(self._workers)]
        failed = False
        try:
            while not self._stop.wait(0.5):
                for i, process in enumerate(processes):
                    if process.is_alive():
                        continue
                    if process.exitcode == STARTUP_FAILURE:  # it would fail the same way again
                        log.error("worker %s failed to start; stopping", process.pid)
                        failed = True
                        self._stop.set()
                        break
                    log.warning(
                        "worker %s died (exit %s); replacing it", process.pid, process.exitcode
                    )
                    processes[i] = self._start(i)
        finally:
            for process in processes:
                if process.is_alive():
                    process.terminate()  # SIGTERM: uvicorn's graceful shutdown
            for process in processes:
                process.join(timeout=self._config.timeout_graceful_shutdown or 30)
                if process.is_alive():
                    process.kill()
                    process.join()
        if failed:
            raise SystemExit(STARTUP_FAILURE)
