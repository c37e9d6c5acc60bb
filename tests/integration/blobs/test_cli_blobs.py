"""`sunlight blobs migrate|check|erase` against a real Kubo node."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli.blobs import blobs_app
from api.storage.blobs import LocalBlobStore
from tests.integration.blobs.conftest import KEK
from tests.support.kubo import KuboDaemon

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data_dir = tmp_path / "data"
    monkeypatch.setenv("SUNLIGHT_DATA_DIR", str(data_dir))
    monkeypatch.setenv("SUNLIGHT_BLOB_KEK", KEK.hex())
    monkeypatch.delenv("SUNLIGHT_IPFS_API", raising=False)
    monkeypatch.delenv("SUNLIGHT_DATABASE_URL", raising=False)
    return data_dir


def make_log(data_dir: Path, rows: list[tuple[str, str]]) -> None:
    """A stand-in for the log's `entries` table with the two columns the command reads."""
    with sqlite3.connect(data_dir / "sunlight.db") as db:
        db.execute(
            "CREATE TABLE entries (id INTEGER PRIMARY KEY, content_cid TEXT, content_sha256 TEXT)"
        )
        db.executemany("INSERT INTO entries (content_cid, content_sha256) VALUES (?, ?)", rows)
        db.execute("INSERT INTO entries (content_cid, content_sha256) VALUES (NULL, NULL)")


def test_migrate_check_erase(kubo: KuboDaemon, env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    local = LocalBlobStore(env / "blobs", kek=KEK)
    a = local.put(io.BytesIO(b"cli public blob"))
    b = local.put(io.BytesIO(b"cli private blob"), private=True)
    make_log(env, [(a.cid, a.sha256), (b.cid, b.sha256)])

    result = runner.invoke(blobs_app, ["check"])
    assert result.exit_code == 0, result.output
    assert "2 blobs checked, 2 ok" in result.output

    result = runner.invoke(blobs_app, ["migrate", "--to", "ipfs", "--ipfs-api", kubo.api_url])
    assert result.exit_code == 0, result.output
    assert "migrated 2 blobs" in result.output and "every CID matched" in result.output

    monkeypatch.setenv("SUNLIGHT_IPFS_API", kubo.api_url)
    result = runner.invoke(blobs_app, ["check"])
    assert result.exit_code == 0, result.output
    assert "check passed" in result.output

    result = runner.invoke(blobs_app, ["erase", a.cid, "--reason", "data subject request"])
    assert result.exit_code == 0, result.output
    assert f"erased {a.cid}" in result.output
    result = runner.invoke(blobs_app, ["check"])
    assert result.exit_code == 0, result.output
    assert "1 ok, 1 erased" in result.output


def test_check_names_bad_blobs(env: Path) -> None:
    local = LocalBlobStore(env / "blobs", kek=KEK)
    good = local.put(io.BytesIO(b"good"))
    rotten = local.put(io.BytesIO(b"will rot"))
    local.path(rotten.cid).write_bytes(b"will r0t")
    result = runner.invoke(blobs_app, ["check", "--store-only"])
    assert result.exit_code == 1, result.output
    assert f"CORRUPT {rotten.cid}" in result.output
    assert good.cid not in result.output
    assert "check FAILED" in result.output


def test_erase_unknown_blob_is_a_clean_error(env: Path) -> None:
    result = runner.invoke(
        blobs_app,
        ["erase", "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", "--reason", "x"],
    )
    assert result.exit_code == 2
    assert "BlobNotFoundError" in result.output


def test_migrate_with_node_down(env: Path) -> None:
    LocalBlobStore(env / "blobs").put(io.BytesIO(b"x"))
    result = runner.invoke(
        blobs_app, ["migrate", "--to", "ipfs", "--ipfs-api", "http://127.0.0.1:9"]
    )
    assert result.exit_code == 2
    assert "unavailable" in result.output
