"""Group commit on the event loop: concurrent records share transactions and flushes, and each
request still gets its own receipt or its own error."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from api.service.committer import Committer
from api.service.notary import Accepted, Notary
from api.settings import Settings
from api.storage.blobs import LocalBlobStore
from notary.errors import BlobStoreUnavailable, LogError
from notary.records import Record
from notary.signing import verify_receipt

NOW = "2026-11-24T08:00:00Z"


@pytest.fixture
def parts(tmp_path: Path):
    notary = Notary.open(Settings(data_dir=tmp_path / "data"))
    blobs = LocalBlobStore(tmp_path / "data" / "blobs")
    yield notary, blobs
    blobs.close()
    notary.close()


def rec(i: int, project: str | None = None, **kw: object) -> Record:
    return Record(submitter="township", project=project, data={"i": i}, received_at=NOW, **kw)


class Counting:
    """Counts the groups the committer hands to the real notary."""

    def __init__(self, notary: Notary) -> None:
        self.groups: list[int] = []
        self._submit = notary.submit
        notary.submit = self  # type: ignore[method-assign]

    def __call__(self, records, **kwargs):
        self.groups.append(len(records))
        return self._submit(records, **kwargs)


def test_concurrent_records_share_transactions_and_each_gets_its_receipt(parts) -> None:
    notary, blobs = parts
    counting = Counting(notary)
    committer = Committer(notary, blobs)

    async def main() -> list[Accepted]:
        return await asyncio.gather(*(committer.submit(rec(i), blob=False) for i in range(200)))

    accepted = asyncio.run(main())
    assert sorted(a.entry.index for a in accepted) == list(range(200))
    assert sum(counting.groups) == 200 and len(counting.groups) < 200
    assert max(counting.groups) > 1
    for a in accepted:
        verify_receipt(a.receipt, notary.key.public_key)
        assert a.receipt.leaf_index == a.entry.index
        assert notary.log.get(a.record_id).record.data == a.entry.record.data


def test_a_stale_prev_fails_alone_in_its_group(parts) -> None:
    notary, blobs = parts
    [first] = notary.submit([rec(0, project="ROAD-1")])
    committer = Committer(notary, blobs)
    stale = rec(1, project="ROAD-1", prev="00" * 32)

    async def main() -> list[Accepted | BaseException]:
        good = [committer.submit(rec(i, project="ROAD-1"), blob=False) for i in (2, 3)]
        bad = committer.submit(stale, blob=False)
        return await asyncio.gather(*good, bad, return_exceptions=True)

    *good, bad = asyncio.run(main())
    assert isinstance(bad, LogError) and "is not the head" in str(bad)
    assert [g.entry.index for g in good] == [1, 2]  # type: ignore[union-attr]
    assert good[0].entry.record.prev == first.entry.leaf_hash.hex()  # type: ignore[union-attr]
    assert notary.log.size == 3


def test_files_are_flushed_before_their_records_and_a_failed_flush_records_nothing(
    parts, monkeypatch: pytest.MonkeyPatch
) -> None:
    notary, blobs = parts
    committer = Committer(notary, blobs)
    infos = [blobs.put(io.BytesIO(b"photo %d" % i), sync=False) for i in range(3)]
    order: list[str] = []
    real_sync = blobs.sync

    def sync() -> None:
        order.append("sync")
        real_sync()

    def failing_sync() -> None:  # a disk that refuses the flush cannot be had for real here
        raise BlobStoreUnavailable("the disk failed the flush")

    monkeypatch.setattr(blobs, "sync", sync)

    async def main(blob: bool) -> list[Accepted | BaseException]:
        return await asyncio.gather(
            *(committer.submit(rec(i), blob=blob) for i in range(3)),
            return_exceptions=True,
        )

    assert all(isinstance(a, Accepted) for a in asyncio.run(main(blob=True)))
    assert order == ["sync"]
    asyncio.run(main(blob=False))
    assert order == ["sync"]  # no file, no flush
    monkeypatch.setattr(blobs, "sync", failing_sync)
    outcomes = asyncio.run(main(blob=True))
    assert all(isinstance(o, BlobStoreUnavailable) for o in outcomes)
    assert notary.log.size == 6  # the failed group left no record
    assert all(blobs.has(i.cid) for i in infos)
