"""The persistent log on SQLite and on a real PostgreSQL server."""

import threading

import pytest
from sqlalchemy import text

from api.service.audit import audit_log
from api.storage.entries import AppendedEntry
from api.storage.log import KnownHeads, LogStore
from notary import merkle
from notary.errors import LogError, NotFoundError
from notary.records import Content, Record
from notary.signing import NotaryKey, verify_checkpoint

NOW = "2026-11-23T00:01:03Z"


def rec(i: int, project: str | None = None, **kw) -> Record:
    return Record(submitter="tester", project=project, data={"i": i}, received_at=NOW, **kw)


def append_one(log: LogStore, record_id: str, record: Record) -> AppendedEntry:
    [appended] = log.append([(record_id, record)])
    return appended


def test_indices_are_consecutive_and_every_proof_matches_the_in_memory_tree(log: LogStore):
    tree = merkle.MerkleTree()
    for i in range(37):
        appended = append_one(log, f"id{i}", rec(i))
        assert appended.index == i
        tree.append(appended.record.canonical())
    batch = log.append([(f"id{i}", rec(i)) for i in range(37, 140)])
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
    a = append_one(log, "a", rec(0, "XQ-1"))
    append_one(log, "x", rec(1))
    b = append_one(log, "b", rec(2, "XQ-1"))
    c, d = log.append([("c", rec(3, "XQ-1")), ("d", rec(4, "XQ-2"))])
    assert a.record.prev is None
    assert b.record.prev == a.leaf_hash.hex()
    assert c.record.prev == b.leaf_hash.hex()
    assert d.record.prev is None
    assert log.get("c").record.prev == b.leaf_hash.hex()


def test_a_stale_prev_is_refused_and_nothing_is_appended(log: LogStore):
    first = append_one(log, "a", rec(0, "XQ-1"))
    append_one(log, "b", rec(1, "XQ-1"))
    with pytest.raises(LogError, match="not the head"):
        log.append([("c", rec(2)), ("d", rec(3, "XQ-1", prev=first.leaf_hash.hex()))])
    assert log.size == 2
    with pytest.raises(NotFoundError):
        log.get("c")


def test_a_refusal_after_many_entries_were_sent_appends_none_of_them(log: LogStore):
    # PostgreSQL is sent each entry as it is made: a refusal after hundreds of kilobytes of
    # them (well past the driver's buffer) must still leave nothing, and the log usable.
    first = append_one(log, "a", rec(0, "XQ-1"))
    append_one(log, "b", rec(1, "XQ-1"))
    padded = [
        (f"p{i}", Record(submitter="tester", data={"pad": "x" * 2000, "i": i}, received_at=NOW))
        for i in range(300)
    ]
    stale = ("s", rec(2, "XQ-1", prev=first.leaf_hash.hex()))
    with pytest.raises(LogError, match="not the head"):
        log.append([*padded, stale])
    assert log.size == 2
    with pytest.raises(NotFoundError):
        log.get("p0")
    assert append_one(log, "c", rec(3, "XQ-1")).index == 2
    assert audit_log(log).ok


def test_isolating_failures_a_stale_prev_fails_alone(log: LogStore):
    first = append_one(log, "a", rec(0, "XQ-1"))
    append_one(log, "b", rec(1, "XQ-1"))
    stale = rec(3, "XQ-1", prev=first.leaf_hash.hex())
    c, d, e = log.append(
        [("c", rec(2, "XQ-1")), ("d", stale), ("e", rec(4, "XQ-1"))], isolate_failures=True
    )
    assert isinstance(d, LogError) and "not the head" in str(d)
    assert isinstance(c, AppendedEntry) and isinstance(e, AppendedEntry)
    assert (c.index, e.index) == (2, 3) and e.record.prev == c.leaf_hash.hex()
    assert log.size == 4
    with pytest.raises(NotFoundError):
        log.get("d")


def test_state_survives_reopening(db_url: str):
    store = LogStore.open(db_url)
    store.append([(f"id{i}", rec(i, "P")) for i in range(10)])
    size, root = store.state()
    store.close()
    again = LogStore.open(db_url)
    assert again.state() == (size, root)
    assert append_one(again, "next", rec(10, "P")).record.prev == again.get("id9").leaf_hash.hex()
    again.close()


def test_checkpoints_are_stored_once_per_size(log: LogStore):
    key = NotaryKey.from_seed(bytes(32))

    def signed(timestamp: str):
        size, root = log.state()
        return key.sign_checkpoint(size, root, timestamp)

    with pytest.raises(NotFoundError):
        log.checkpoint()
    log.append([(f"id{i}", rec(i)) for i in range(5)])
    cp = log.store_checkpoint(signed("2026-11-23T00:00:00Z"))
    assert cp == log.store_checkpoint(signed("2026-11-23T00:05:00Z"))  # the first one stays
    verify_checkpoint(cp, key.public_key)
    assert cp.tree_size == 5 and bytes.fromhex(cp.root_hash) == log.root(5)
    log.append([("id5", rec(5))])
    later = log.store_checkpoint(signed("2026-11-23T00:06:00Z"))
    assert log.checkpoint().tree_size == 6 and log.checkpoint(5) == cp and later.tree_size == 6


def test_a_checkpoint_of_another_log_is_not_stored(log: LogStore):
    key = NotaryKey.from_seed(bytes(32))
    log.append([(f"id{i}", rec(i)) for i in range(3)])
    with pytest.raises(LogError, match="root"):
        log.store_checkpoint(key.sign_checkpoint(3, bytes(32), NOW))
    with pytest.raises(LogError, match="beyond"):
        log.store_checkpoint(key.sign_checkpoint(4, log.root(3), NOW))
    with pytest.raises(NotFoundError):
        log.checkpoint()


def test_lookups(log: LogStore):
    append_one(log, "a", rec(0))
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
                append_one(log, f"t{t}-{i}", rec(i, f"P{t % 3}"))
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
    log.append([("mine", rec(0, content=Content(sha256=mine, size=1)))])
    log.append([("other", rec(1, content=Content(sha256=other, size=1)))])
    with log.engine.begin() as conn:
        conn.execute(text("UPDATE entries SET content_sha256 = :h WHERE idx = 1"), {"h": mine})
    assert [e.record_id for e in log.find_by_content(mine)] == ["mine"]


def test_heads_of_more_projects_than_one_in_list_holds_are_all_read(log: LogStore):
    codes = [f"P-{i:04d}" for i in range(1201)]  # three of SQLite's IN lists, the last short
    log.append([(f"a{i}", rec(i, project=code)) for i, code in enumerate(codes)])
    log.append([(f"b{i}", rec(i, project=code)) for i, code in enumerate(codes)])
    heads = log.known_heads({*codes, "P-none"}).heads
    assert sorted(heads) == codes
    assert all(count == 2 and index >= 1201 for index, _, count in heads.values())


def test_heads_read_before_an_append_are_taken_only_while_the_log_has_not_grown(log: LogStore):
    [first] = log.append([("a", rec(0, project="P-1"))])
    known = log.known_heads({"P-1", "P-2"})
    assert (known.size, dict(known.heads)) == (1, {"P-1": (0, first.leaf_hash, 1)})
    [moved] = log.append([("b", rec(1, project="P-1"))])  # meanwhile, P-1's head moves on
    [late] = log.append([("c", rec(2, project="P-1"))], known=known)
    assert late.record.prev == moved.leaf_hash.hex()  # the head as it is, not as it was known
    [other] = log.append([("d", rec(3, project="P-1"))], known=log.known_heads({"P-2"}))
    assert other.record.prev == late.leaf_hash.hex()  # a project they do not cover is read
    # Taken as they are while the size holds; heads that lie (P-1 has none, they say) cannot fork
    # a project's chain even so: the head the database holds refuses a second first record.
    size, said = log.size, KnownHeads(log.size, frozenset({"P-1"}), {})
    with pytest.raises(LogError, match="refused"):
        log.append([("e", rec(4, project="P-1"))], known=said)
    assert log.size == size
