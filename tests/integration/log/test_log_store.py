"""The persistent log on SQLite and on a real PostgreSQL server."""

import threading

import pytest
from sqlalchemy import text

from api.service.audit import audit_log
from api.storage.log import LogStore
from notary import merkle
from notary.errors import LogError, NotFoundError
from notary.records import Content, Record
from notary.signing import NotaryKey, verify_checkpoint

NOW = "2026-11-23T00:01:03Z"


def rec(i: int, project: str | None = None, **kw) -> Record:
    return Record(submitter="tester", project=project, data={"i": i}, received_at=NOW, **kw)


def test_indices_are_consecutive_and_every_proof_matches_the_in_memory_tree(log: LogStore):
    tree = merkle.MerkleTree()
    for i in range(37):
        appended = log.append(f"id{i}", rec(i))
        assert appended.index == i
        tree.append(appended.record.canonical())
    batch = log.append_many([(f"id{i}", rec(i)) for i in range(37, 140)])
    assert [a.index for a in batch] == list(range(37, 140))
    tree.extend(a.record.canonical() for a in batch)
    size, root = log.state()
    assert size == 140 and root == tree.root()
    for n in (1, 2, 3, 64, 77, 139, 140):
        assert log.root(n) == tree.root(n)
        for m in range(0, n, 7):
            proof = log.inclusion_proof(m, n)
            assert proof == tree.inclusion_proof(m, n)
            merkle.verify_inclusion(log.get_by_index(m).leaf_hash, m, n, proof, log.root(n))
        for m in range(0, n + 1, 5):
            assert log.consistency_proof(m, n) == tree.consistency_proof(m, n)


def test_project_records_chain_through_prev(log: LogStore):
    a = log.append("a", rec(0, "XQ-1"))
    log.append("x", rec(1))
    b = log.append("b", rec(2, "XQ-1"))
    c, d = log.append_many([("c", rec(3, "XQ-1")), ("d", rec(4, "XQ-2"))])
    assert a.record.prev is None
    assert b.record.prev == a.leaf_hash.hex()
    assert c.record.prev == b.leaf_hash.hex()
    assert d.record.prev is None
    assert log.get("c").record.prev == b.leaf_hash.hex()


def test_a_stale_prev_is_refused_and_nothing_is_appended(log: LogStore):
    first = log.append("a", rec(0, "XQ-1"))
    log.append("b", rec(1, "XQ-1"))
    with pytest.raises(LogError, match="not the head"):
        log.append_many([("c", rec(2)), ("d", rec(3, "XQ-1", prev=first.leaf_hash.hex()))])
    assert log.size == 2
    with pytest.raises(NotFoundError):
        log.get("c")


def test_state_survives_reopening(db_url: str):
    store = LogStore.open(db_url)
    store.append_many([(f"id{i}", rec(i, "P")) for i in range(10)])
    size, root = store.state()
    store.close()
    again = LogStore.open(db_url)
    assert again.state() == (size, root)
    assert again.append("next", rec(10, "P")).record.prev == again.get("id9").leaf_hash.hex()
    again.close()


def test_checkpoints_are_signed_once_per_size(log: LogStore):
    key = NotaryKey.from_seed(bytes(32))
    with pytest.raises(NotFoundError):
        log.checkpoint()
    log.append_many([(f"id{i}", rec(i)) for i in range(5)])
    cp = log.publish_checkpoint(key, "2026-11-23T00:00:00Z")
    assert cp == log.publish_checkpoint(key, "2026-11-23T00:05:00Z")
    verify_checkpoint(cp, key.public_key)
    assert cp.tree_size == 5 and bytes.fromhex(cp.root_hash) == log.root(5)
    log.append("id5", rec(5))
    later = log.publish_checkpoint(key, "2026-11-23T00:06:00Z")
    assert log.checkpoint().tree_size == 6 and log.checkpoint(5) == cp and later.tree_size == 6


def test_lookups(log: LogStore):
    log.append("a", rec(0))
    with pytest.raises(NotFoundError):
        log.get("nope")
    with pytest.raises(NotFoundError):
        log.get_by_index(1)
    with pytest.raises(ValueError):
        log.inclusion_proof(1, 1)


def test_concurrent_threads_get_gap_free_indices(log: LogStore):
    errors: list[BaseException] = []

    def writer(t: int) -> None:
        try:
            for i in range(60):
                log.append(f"t{t}-{i}", rec(i, f"P{t % 3}"))
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert [e.index for e in log.iter_entries()] == list(range(480))
    report = audit_log(log)
    assert report.ok, report.findings


def test_a_content_lookup_keeps_only_entries_that_notarize_the_file(log: LogStore):
    """The ``content_sha256`` column finds candidates; a row pointed at another file by SQL is no
    match for it."""
    mine, other = "aa" * 32, "bb" * 32
    log.append("mine", rec(0, content=Content(sha256=mine, size=1)))
    log.append("other", rec(1, content=Content(sha256=other, size=1)))
    with log.engine.begin() as conn:
        conn.execute(text("UPDATE entries SET content_sha256 = :h WHERE idx = 1"), {"h": mine})
    assert [e.record_id for e in log.find_by_content(mine)] == ["mine"]
