"""Group commit on the event loop: the records of concurrent requests share one trip to a
worker thread, one flush of their files and one database transaction. This is the only group
commit; callers on threads batch their records themselves (:meth:`Notary.submit` takes many).

A request hands its validated record to :meth:`Committer.submit` and waits. While a group is
being committed the next one gathers; when the thread is free, everything gathered goes in one
call: the blob store's :meth:`~notary.blobs.BlobStore.sync` (the request wrote its file with
``sync=False``), then :meth:`~api.service.notary.Notary.submit` with ``isolate_failures``, then
each appended record's ``then`` (the site photo index), in log order. Each request gets its own
receipt — only once its record and file are durable — or its own error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from anyio import to_thread

from api.service.notary import Accepted, Notary
from api.storage.idempotency import IdempotencyClaim
from notary.blobs import BlobStore
from notary.errors import NotaryError
from notary.lifecycle import Actor
from notary.records import Record

#: The most records one group commit takes in (bounds a transaction's size and latency).
GROUP_COMMIT_MAX = 1000

log = logging.getLogger("sunlight.api")


@dataclass(slots=True)
class _Waiting:
    record: Record
    blob: bool
    people: Mapping[str, Actor]
    claim: IdempotencyClaim | None
    then: Callable[[Accepted], object] | None
    done: asyncio.Future[Accepted]


class Committer:
    def __init__(self, notary: Notary, blobs: BlobStore) -> None:
        self._notary = notary
        self._blobs = blobs
        self._waiting: list[_Waiting] = []
        self._running: asyncio.Task[None] | None = None

    async def submit(
        self,
        record: Record,
        *,
        blob: bool,
        people: Mapping[str, Actor] | None = None,
        claim: IdempotencyClaim | None = None,
        then: Callable[[Accepted], object] | None = None,
    ) -> Accepted:
        """Append ``record``; return once it (and its blob, when ``blob``) is durable.
        ``people``: the lifecycle actors among its submitter and signers; ``claim``: its
        idempotency key, stored in the same transaction; ``then``: called with the appended
        record on the commit thread, records in log order (its failure is logged, not raised:
        the record stands)."""
        loop = asyncio.get_running_loop()
        waiting = _Waiting(record, blob, people or {}, claim, then, loop.create_future())
        self._waiting.append(waiting)
        if self._running is None:
            self._running = loop.create_task(self._run())
        return await waiting.done

    async def _run(self) -> None:
        try:
            while self._waiting:
                group = self._waiting[:GROUP_COMMIT_MAX]
                del self._waiting[:GROUP_COMMIT_MAX]
                outcomes: list[Accepted | Exception]
                try:
                    outcomes = list(await to_thread.run_sync(self._commit, group))
                except Exception as e:  # every waiter gets the error
                    outcomes = [e] * len(group)
                for w, outcome in zip(group, outcomes, strict=True):
                    if w.done.done():  # the request was cancelled; its record may stand
                        continue
                    if isinstance(outcome, BaseException):
                        w.done.set_exception(outcome)
                    else:
                        w.done.set_result(outcome)
        finally:
            self._running = None

    def _commit(self, group: list[_Waiting]) -> list[Accepted | NotaryError]:
        if any(w.blob for w in group):
            self._blobs.sync()
        people = {k: a for w in group for k, a in w.people.items()}
        outcomes = self._notary.submit(
            [w.record for w in group],
            isolate_failures=True,
            people=people,
            claims=[w.claim for w in group],
        )
        for w, outcome in zip(group, outcomes, strict=True):
            if w.then is not None and isinstance(outcome, Accepted):
                try:
                    w.then(outcome)
                except NotaryError:
                    log.exception("after appending record %s", outcome.record_id)
        return outcomes
