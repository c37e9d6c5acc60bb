"""Public blobs replicated to a second organisation's Kubo node (two real nodes): stored,
replicated, served with the first node stopped and every byte checked against its CID, replicated
late when the replica was down, never a private file on the replica, erasures reaching it."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pytest

from api.storage.blobs import KuboBlobStore, ReplicatedBlobStore, open_blob_store
from api.storage.blobs.kubo_rpc import ADD_PARAMS, KuboRpc
from api.storage.blobs.streams import Chunk
from notary.cid import CHUNK_SIZE
from notary.errors import BlobErasedError, BlobIntegrityError, BlobStoreUnavailable
from tests.integration.blobs.conftest import KEK
from tests.support.kubo import KuboDaemon

Pair = tuple[KuboDaemon, KuboDaemon]

#: Public files of every shape: empty, one byte, one chunk exactly, one byte over, several chunks.
PUBLIC_SIZES = (0, 1, 1000, CHUNK_SIZE, CHUNK_SIZE + 1, 5 * CHUNK_SIZE + 17)


def body(i: int, size: int) -> bytes:
    pattern = f"public file {i} of the culvert project; ".encode()
    return (pattern * (size // len(pattern) + 1))[:size]


def open_store(data_dir: Path, primary: KuboDaemon, replica: KuboDaemon) -> ReplicatedBlobStore:
    store = open_blob_store(
        data_dir=data_dir, ipfs_api=primary.api_url, kek=KEK, replicas=[replica.api_url]
    )
    assert isinstance(store, ReplicatedBlobStore)
    return store


@pytest.fixture
def store(kubo_pair: Pair, tmp_path: Path) -> Iterator[ReplicatedBlobStore]:
    with_store = open_store(tmp_path / "data", *kubo_pair)
    try:
        yield with_store
    finally:
        with_store.close()


@pytest.fixture
def replica_rpc(kubo_pair: Pair) -> Iterator[KuboRpc]:
    rpc = KuboRpc(kubo_pair[1].api_url)
    yield rpc
    rpc.close()


def read(store: ReplicatedBlobStore, cid: str) -> bytes:
    with store.open(cid) as f:
        return f.read()


def refs(rpc: KuboRpc, command: str, params: dict[str, str]) -> set[str]:
    response = rpc.rpc(command, params)
    assert response.status_code == 200, response.text
    return {json.loads(line)["Ref"] for line in response.text.splitlines() if line.strip()}


def pins(rpc: KuboRpc) -> set[str]:
    return set(rpc.rpc("pin/ls", {"type": "recursive"}).json()["Keys"])


def local_blocks(rpc: KuboRpc) -> set[str]:
    """Every block the node holds, pinned or not."""
    return refs(rpc, "refs/local", {})


def blocks_of(node: KuboDaemon, cid: str) -> set[str]:
    rpc = KuboRpc(node.api_url)
    try:
        return {cid} | refs(rpc, "refs", {"arg": cid, "recursive": "true", "unique": "true"})
    finally:
        rpc.close()


def tamper_block(node: KuboDaemon, original: bytes) -> None:
    """Flip one byte of the block file holding ``original`` in the node's repository (flatfs),
    as someone with access to the other organisation's disk could."""
    found = [p for p in (node.repo / "blocks").rglob("*.data") if p.read_bytes() == original]
    assert len(found) == 1, "the block to tamper with is not in the replica's repository"
    tampered = bytearray(original)
    tampered[len(tampered) // 2] ^= 0x01
    found[0].write_bytes(bytes(tampered))


def test_a_replica_serving_tampered_bytes_is_refused(
    kubo_pair: Pair, store: ReplicatedBlobStore
) -> None:
    primary, replica = kubo_pair
    content = body(0, 3 * CHUNK_SIZE)
    info = store.put(io.BytesIO(content))
    assert store.replicate_pending() == 0
    replica.stop()
    tamper_block(replica, content[CHUNK_SIZE : 2 * CHUNK_SIZE])  # the middle leaf
    replica.start()
    primary.stop()  # the tampered replica is the only copy left
    with pytest.raises(BlobIntegrityError, match=r"the replica at .* holds bytes whose CID is"):
        read(store, info.cid)
    with pytest.raises(BlobIntegrityError), store.open_stored(info.cid) as f:
        f.read()


def test_public_files_replicated_and_served_with_the_primary_stopped(
    kubo_pair: Pair, store: ReplicatedBlobStore, replica_rpc: KuboRpc
) -> None:
    primary, replica = kubo_pair
    public = {}
    for i, size in enumerate(PUBLIC_SIZES):
        content = body(i, size)
        public[store.put(io.BytesIO(content), sync=False).cid] = content
    private = {
        store.put(io.BytesIO(body(100 + i, size)), private=True, sync=False).cid: body(
            100 + i, size
        )
        for i, size in enumerate((10, 2 * CHUNK_SIZE + 5))
    }
    store.sync()
    assert sorted(store.pending()) == sorted(public)  # only public files are queued

    assert store.replicate_pending() == 0
    assert store.pending() == []
    for cid in public:
        assert replica_rpc.pinned(cid)
        assert dict(store.node_states(cid)) == {
            primary.api_url: "present",
            replica.api_url: "present",
        }
    # Nothing of a private file ever reaches the other organisation's node: no pin, no block.
    on_replica = local_blocks(replica_rpc)
    for cid in private:
        assert not replica_rpc.pinned(cid)
        assert not blocks_of(primary, cid) & on_replica

    primary.kill()  # the first organisation's storage is gone
    started = time.monotonic()
    served = {cid: read(store, cid) for cid in public}
    elapsed = time.monotonic() - started
    assert served == public
    for cid in private:  # never on the replica: the primary's error, not someone else's bytes
        with pytest.raises(BlobStoreUnavailable):
            read(store, cid)
    print(
        f"\nreplication: {len(public)} public files stored and replicated, "
        f"{len(private)} private kept on the primary; primary killed, {len(served)} served from "
        f"the replica in {elapsed:.2f} s with every CID checked; lost 0"
    )


def test_a_replica_down_at_write_gets_every_file_when_it_returns(
    kubo_pair: Pair, tmp_path: Path, replica_rpc: KuboRpc
) -> None:
    primary, replica = kubo_pair
    replica.stop()
    data_dir = tmp_path / "data"
    first = open_store(data_dir, primary, replica)
    cids = [first.put(io.BytesIO(body(i, 2000 * i))).cid for i in range(4)]
    assert first.replicate_pending() == 4  # the replica is down: nothing lost, all queued
    first.close()  # the server stops before the replica returns

    again = open_store(data_dir, primary, replica)  # restarted: the queue is on disk
    try:
        assert sorted(again.pending()) == sorted(cids)
        again.start_replicating(interval_s=0.2)
        replica.start()
        deadline = time.monotonic() + 20
        while again.pending():
            assert time.monotonic() < deadline, f"still queued: {again.pending()}"
            time.sleep(0.1)
        assert all(replica_rpc.pinned(cid) for cid in cids)
    finally:
        again.close()


def test_an_erasure_reaches_a_replica_that_was_down(
    kubo_pair: Pair, store: ReplicatedBlobStore, replica_rpc: KuboRpc
) -> None:
    primary, replica = kubo_pair
    erased = store.put(io.BytesIO(b"a villager's phone number, published by mistake"))
    kept = store.put(io.BytesIO(b"the tender notice"))
    assert store.replicate_pending() == 0
    erased_blocks = blocks_of(replica, erased.cid)

    replica.stop()
    store.erase(erased.cid, reason="personal data")
    assert store.pending() == [erased.cid]  # the replica still holds it
    replica.start()
    primary.stop()
    # Not served from the replica that still has it: the primary's tombstone decides.
    with pytest.raises(BlobErasedError):
        read(store, erased.cid)
    assert read(store, kept.cid) == b"the tender notice"

    assert store.replicate_pending() == 0
    assert not replica_rpc.pinned(erased.cid)
    assert not erased_blocks & local_blocks(replica_rpc)
    assert replica_rpc.pinned(kept.cid)


class OtherImport(KuboRpc):
    """A node that imports with other parameters (1 KiB chunks), so computes other CIDs."""

    def add(self, chunks: Iterable[Chunk], params: Mapping[str, str] = ADD_PARAMS) -> str:
        return super().add(chunks, {**params, "chunker": "size-1024"})


def test_a_replica_that_computes_another_cid_never_counts_as_a_copy(
    kubo_pair: Pair, tmp_path: Path, replica_rpc: KuboRpc
) -> None:
    primary, replica = kubo_pair
    with KuboBlobStore(primary.api_url, meta_dir=tmp_path / "meta") as own:
        other = OtherImport(replica.api_url)
        store = ReplicatedBlobStore(own, [other], queue_dir=tmp_path / "queue")
        pins_before = pins(replica_rpc)
        info = store.put(io.BytesIO(body(7, 3 * CHUNK_SIZE)))
        assert store.replicate_pending() == 1  # refused, still queued
        assert store.pending() == [info.cid]
        assert not replica_rpc.pinned(info.cid)
        # What the replica stored under its own CID was unpinned again.
        assert pins(replica_rpc) == pins_before
        other.close()


def test_a_replica_that_asks_for_credentials(
    kubo_pair: Pair, tmp_path: Path, replica_rpc: KuboRpc
) -> None:
    """Another organisation's node lets us in with a password (Kubo's ``API.Authorizations``);
    the URL carries it, no message shows it, and a wrong one is a clear error."""
    primary, replica = kubo_pair
    replica.stop()
    auth = {"sunlight": {"AuthSecret": "basic:sunlight:pw-42", "AllowedPaths": ["/api/v0"]}}
    replica.config_json("API.Authorizations", auth)
    replica.start()
    host = replica.api_url.removeprefix("http://")
    with KuboBlobStore(primary.api_url, meta_dir=tmp_path / "meta") as own:
        wrong = KuboRpc(f"http://sunlight:wrong@{host}")
        with pytest.raises(BlobStoreUnavailable, match="refused our credentials") as refused:
            wrong.pinned("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")
        assert "wrong" not in str(refused.value) and wrong.name == replica.api_url
        wrong.close()

        right = KuboRpc(f"http://sunlight:pw-42@{host}")
        store = ReplicatedBlobStore(own, [right], queue_dir=tmp_path / "queue")
        info = store.put(io.BytesIO(b"the acceptance certificate"))
        assert store.replicate_pending() == 0
        assert right.pinned(info.cid)
        assert all("pw-42" not in name for name, _ in store.node_states(info.cid))
        right.close()
