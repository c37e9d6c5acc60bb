"""Rows edited, deleted or reordered behind the service's back are named by `sunlight audit`."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from api.service.notary import Notary
from api.settings import Settings
from api.storage.columns import DERIVED_COLUMNS
from notary.records import Record

SUNLIGHT = Path(sys.executable).parent / "sunlight"
BID = b"sealed bid"


@pytest.fixture
def filled(db_url, tmp_path):
    settings = Settings(data_dir=tmp_path, database_url=db_url)
    notary = Notary.open(settings)
    for i in range(12):
        draft = (
            {"submitter": "clerk", "project": "XQ-7" if i % 2 else None, "data": {"amount": i}}
            # Entry 6 is a private record of a file.
            | ({"public": False, "content": _content(BID)} if i == 6 else {})
        )
        notary.submit([Record.model_validate({**draft, "received_at": notary.clock()})])
    notary.publish_checkpoint()
    yield notary, db_url, tmp_path
    notary.close()


def _content(file: bytes) -> dict[str, object]:
    return {"sha256": hashlib.sha256(file).hexdigest(), "size": len(file), "cid": "bafkqabc"}


def _audit(data_dir: Path, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SUNLIGHT_DATABASE_URL": url}
    return subprocess.run(
        [str(SUNLIGHT), "audit", "--data-dir", str(data_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _sql(notary: Notary, statement: str, **params) -> None:
    with notary.log.engine.begin() as conn:
        conn.execute(text(statement), params)


def test_a_clean_log_passes(filled):
    _, url, data_dir = filled
    result = _audit(data_dir, url)
    assert result.returncode == 0 and "audit passed: 12 entries" in result.stdout


def test_an_entry_edited_by_sql_is_named(filled):
    notary, url, data_dir = filled
    entry = notary.log.get_by_index(5).entry.replace(b'"amount":5', b'"amount":9')
    _sql(notary, "UPDATE entries SET entry = :e WHERE idx = 5", e=entry)
    result = _audit(data_dir, url)
    assert result.returncode == 1
    assert "entry 5 " in result.stdout and "stored leaf hash" in result.stdout


def test_an_entry_rewritten_with_its_leaf_hash_is_still_caught(filled):
    notary, url, data_dir = filled
    from notary.merkle import leaf_hash

    entry = notary.log.get_by_index(4).entry.replace(b'"amount":4', b'"amount":0')
    _sql(
        notary,
        "UPDATE entries SET entry = :e, leaf_hash = :h WHERE idx = 4",
        e=entry,
        h=leaf_hash(entry),
    )
    result = _audit(data_dir, url)
    assert result.returncode == 1
    assert "node (1, 2): entries 4..5 no longer give the hash" in result.stdout
    assert "checkpoint 12" in result.stdout and "history was rewritten" in result.stdout


def test_a_deleted_row_is_named(filled):
    notary, url, data_dir = filled
    _sql(notary, "DELETE FROM entries WHERE idx = 7")
    result = _audit(data_dir, url)
    assert result.returncode == 1 and "index 8 where 7 was expected" in result.stdout


def test_reordered_rows_are_named(filled):
    notary, url, data_dir = filled
    _sql(notary, "UPDATE entries SET idx = -1 WHERE idx = 2")
    _sql(notary, "UPDATE entries SET idx = 2 WHERE idx = 3")
    _sql(notary, "UPDATE entries SET idx = 3 WHERE idx = -1")
    result = _audit(data_dir, url)
    assert result.returncode == 1
    assert "node (1, 1): entries 2..3 no longer give the hash" in result.stdout


#: Every column of ``entries`` derived from the entry, edited on entry 6 (private, a file, no
#: project) to a value its entry does not give.
COLUMN_EDITS = {
    "project": "XQ-7",
    "kind": "contract",
    "content_sha256": hashlib.sha256(b"another file").hexdigest(),
    "content_cid": "bafkqxyz",
    "received_at": "2020-01-01T00:00:00.000000Z",
    "public": True,
    "submitter": "mayor",
}


def test_every_derived_column_has_an_edit():
    assert set(COLUMN_EDITS) == set(DERIVED_COLUMNS)


@pytest.mark.parametrize("column", COLUMN_EDITS)
def test_a_derived_column_edited_by_sql_is_named(filled, column):
    notary, url, data_dir = filled
    value = COLUMN_EDITS[column]
    _sql(notary, f"UPDATE entries SET {column} = :v WHERE idx = 6", v=value)
    result = _audit(data_dir, url)
    assert result.returncode == 1, result.stdout
    row = f"entry 6 (record {notary.log.get_by_index(6).record_id})"
    assert f"{row}: column {column} is {value!r}, the entry gives " in result.stdout
    assert "audit FAILED: 1 findings" in result.stdout


def test_a_moved_project_head_is_named(filled):
    notary, url, data_dir = filled
    _sql(notary, "UPDATE project_heads SET leaf_index = 1, count = 1 WHERE project = 'XQ-7'")
    result = _audit(data_dir, url)
    assert result.returncode == 1
    assert "project head XQ-7: leaf 1 (" in result.stdout and "after 1 records" in result.stdout
    assert "the entries give leaf 11 (" in result.stdout and "after 6 records" in result.stdout
