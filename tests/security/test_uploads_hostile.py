"""Resumable uploads (tus) and idempotency keys against a hostile client: someone else's upload or
key, offsets out of order, bodies past the length, wrong content types and checksums, malformed
headers. Each refusal leaves the upload as it was."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.service.submission import sweep
from tests.integration.api.conftest import Api, make_api

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = "application/offset+octet-stream"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    yield from make_api(tmp_path_factory.mktemp("uploads"), max_upload_bytes=1000)


def log_size(api: Api) -> int:
    return int(api.client.get("/healthz").json()["log_size"])


def stored_uploads(api: Api) -> set[Path]:
    return set((api.settings.data_dir / "uploads").glob("*"))


def create(api: Api, length: int, who: str = "township", **headers: str) -> str:
    r = api.client.post(
        "/v1/uploads", headers={**api.auth(who), **TUS, "Upload-Length": str(length), **headers}
    )
    assert r.status_code == 201, r.text
    return str(r.headers["location"])


def patch(api: Api, url: str, offset: int, body: bytes, who: str = "township", **extra: str) -> Any:
    headers = {**api.auth(who), **TUS, "Upload-Offset": str(offset), "Content-Type": OCTETS}
    return api.client.patch(url, headers={**headers, **extra}, content=body)


def offset(api: Api, url: str) -> int:
    r = api.client.head(url, headers={**api.auth("township"), **TUS})
    assert r.status_code == 200
    return int(r.headers["upload-offset"])


def record_of(api: Api, url: str, who: str = "township", **headers: str) -> Any:
    return api.client.post(
        "/v1/records",
        headers={**api.auth(who), **headers},
        data={"meta": "{}", "upload_id": url.rsplit("/", 1)[1]},
    )


# --- someone else's upload and key -----------------------------------------------------------------


def test_another_party_cannot_read_write_use_or_delete_an_upload(api: Api) -> None:
    url = create(api, 4)
    assert patch(api, url, 0, b"mine").status_code == 204
    other = {**api.auth("contractor"), **TUS}
    assert api.client.head(url, headers=other).status_code == 404
    assert patch(api, url, 4, b"x", who="contractor").status_code == 404
    assert api.client.delete(url, headers=other).status_code == 404
    r = record_of(api, url, who="contractor")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    made = record_of(api, url)  # still there, still township's
    assert made.status_code == 201, made.text
    assert made.json()["id"] and offset_gone(api, url)


def offset_gone(api: Api, url: str) -> bool:
    """A record made of an upload consumes it."""
    return bool(api.client.head(url, headers={**api.auth("township"), **TUS}).status_code == 404)


def test_another_partys_key_gets_no_one_elses_answer(api: Api) -> None:
    key = {"Idempotency-Key": '"shared-key"'}
    mine = api.client.post(
        "/v1/records", headers={**api.auth("township"), **key}, data={"meta": "{}"}
    )
    theirs = api.client.post(
        "/v1/records", headers={**api.auth("contractor"), **key}, data={"meta": "{}"}
    )
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert mine.json()["leaf_index"] != theirs.json()["leaf_index"]


def test_a_reused_key_with_another_file_is_a_conflict_and_appends_nothing(api: Api) -> None:
    headers = {**api.auth("township"), "Idempotency-Key": "k1"}
    meta = {"meta": json.dumps({"kind": "document"})}
    before = log_size(api)
    first = api.client.post("/v1/records", headers=headers, data=meta, files={"file": b"one"})
    other = api.client.post("/v1/records", headers=headers, data=meta, files={"file": b"two"})
    assert first.status_code == 201 and other.status_code == 409
    assert other.json()["error"] == "idempotency_key_reused"
    assert log_size(api) == before + 1


@pytest.mark.parametrize("key", ["", '""', "é".encode(), "a\tb", 'a"b', "x" * 256])
def test_a_malformed_key_is_refused(api: Api, key: str | bytes) -> None:
    headers = {**api.auth("township"), "Idempotency-Key": key}
    before = log_size(api)
    r = api.client.post("/v1/records", headers=headers, data={"meta": "{}"})
    assert r.status_code == 422 and r.json()["error"] == "invalid_request", r.text
    assert log_size(api) == before


def test_a_failed_request_stores_no_key(api: Api) -> None:
    headers = {**api.auth("township"), "Idempotency-Key": "k2"}
    bad = api.client.post("/v1/records", headers=headers, data={"meta": '{"stage": "nonsense"}'})
    assert bad.status_code == 422
    good = api.client.post("/v1/records", headers=headers, data={"meta": "{}"})
    assert good.status_code == 201, good.text


# --- the tus protocol ------------------------------------------------------------------------------


def test_offsets_out_of_order_are_refused_and_change_nothing(api: Api) -> None:
    url = create(api, 10)
    assert patch(api, url, 0, b"01234").status_code == 204
    for wrong in (0, 3, 6, 10):
        r = patch(api, url, wrong, b"56789")
        assert r.status_code == 409 and r.json()["error"] == "upload_offset_mismatch"
    assert offset(api, url) == 5
    assert patch(api, url, 5, b"56789").headers["upload-offset"] == "10"


def test_a_patch_past_the_length_keeps_nothing_of_it(api: Api) -> None:
    url = create(api, 6)
    assert patch(api, url, 0, b"012").status_code == 204
    r = patch(api, url, 3, b"3456")
    assert r.status_code == 413 and r.json()["error"] == "upload_length_exceeded"
    assert offset(api, url) == 3


def test_a_chunked_patch_past_the_length_keeps_nothing_of_it(api: Api) -> None:
    """No Content-Length to refuse up front: the server counts as it reads."""
    url = create(api, 6)
    r = patch(api, url, 0, iter([b"0123", b"4567"]))  # type: ignore[arg-type]
    assert r.status_code == 413, r.text
    assert offset(api, url) == 0


@pytest.mark.parametrize(
    "content_type", ["application/octet-stream", "multipart/form-data", "text/plain"]
)
def test_a_patch_with_another_content_type_is_refused(api: Api, content_type: str) -> None:
    url = create(api, 4)
    r = patch(api, url, 0, b"data", **{"Content-Type": content_type})
    assert r.status_code == 415, r.text
    assert offset(api, url) == 0


def test_a_chunk_that_fails_its_checksum_is_dropped(api: Api) -> None:
    url = create(api, 8)
    good = base64.b64encode(hashlib.sha256(b"0123").digest()).decode()
    wrong = base64.b64encode(hashlib.sha256(b"xxxx").digest()).decode()
    r = patch(api, url, 0, b"0123", **{"Upload-Checksum": f"sha256 {wrong}"})
    assert r.status_code == 460 and r.json()["error"] == "checksum_mismatch"
    assert offset(api, url) == 0
    assert patch(api, url, 0, b"0123", **{"Upload-Checksum": f"sha256 {good}"}).status_code == 204
    sha1 = base64.b64encode(hashlib.sha1(b"4567").digest()).decode()
    assert patch(api, url, 4, b"4567", **{"Upload-Checksum": f"sha1 {sha1}"}).status_code == 204
    assert patch(api, url, 8, b"", **{"Upload-Checksum": "md5 AAAA"}).status_code == 400


def test_a_client_without_tus_1_0_is_told_the_version(api: Api) -> None:
    r = api.client.post("/v1/uploads", headers={**api.auth("township"), "Upload-Length": "4"})
    assert r.status_code == 412 and r.headers["tus-version"] == "1.0.0"
    r = api.client.post(
        "/v1/uploads",
        headers={**api.auth("township"), "Tus-Resumable": "0.2.2", "Upload-Length": "4"},
    )
    assert r.status_code == 412


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 422),  # no Upload-Length (deferred lengths are not supported)
        ({"Upload-Length": "-1"}, 422),
        ({"Upload-Length": "1e3"}, 422),
        ({"Upload-Length": "1001"}, 413),  # over SUNLIGHT_MAX_UPLOAD_BYTES
        ({"Upload-Length": "9" * 40}, 422),
        ({"Upload-Length": "4", "Upload-Metadata": "filename !!!"}, 422),
        ({"Upload-Length": "4", "Upload-Metadata": "a YQ==,a YQ=="}, 422),
        ({"Upload-Length": "4", "Upload-Metadata": ",".join(["k YQ=="] * 40)}, 422),
        ({"Upload-Length": "4", "Upload-Metadata": "filename /w=="}, 422),  # not UTF-8
    ],
)
def test_a_bad_creation_is_refused(api: Api, headers: dict[str, str], status: int) -> None:
    before = stored_uploads(api)
    r = api.client.post("/v1/uploads", headers={**api.auth("township"), **TUS, **headers})
    assert r.status_code == status, r.text
    assert stored_uploads(api) == before


@pytest.mark.parametrize("upload_id", ["../../sunlight.db", "0" * 32, "A" * 32, "x" * 64])
def test_an_unknown_or_crafted_upload_id_is_not_found(api: Api, upload_id: str) -> None:
    r = api.client.head(f"/v1/uploads/{upload_id}", headers={**api.auth("township"), **TUS})
    assert r.status_code == 404
    r = record_of(api, f"/v1/uploads/{upload_id}")
    assert r.status_code == 404, r.text


def test_a_record_needs_the_whole_upload_and_not_a_file_too(api: Api) -> None:
    url = create(api, 4)
    before = log_size(api)
    assert patch(api, url, 0, b"ab").status_code == 204
    r = record_of(api, url)
    assert r.status_code == 409 and r.json()["error"] == "upload_incomplete"
    assert patch(api, url, 2, b"cd").status_code == 204
    both = api.client.post(
        "/v1/records",
        headers=api.auth("township"),
        data={"meta": "{}", "upload_id": url.rsplit("/", 1)[1]},
        files={"file": b"abcd"},
    )
    assert both.status_code == 422
    assert log_size(api) == before


def test_a_terminated_upload_is_gone(api: Api) -> None:
    before = stored_uploads(api)
    url = create(api, 4)
    r = api.client.delete(url, headers={**api.auth("township"), **TUS})
    assert r.status_code == 204
    assert offset_gone(api, url)
    assert stored_uploads(api) == before


def test_abandoned_uploads_expire(tmp_path: Path) -> None:
    for api in make_api(tmp_path):
        url = create(api, 4)
        ctx = api.client.app.state.ctx  # type: ignore[attr-defined]
        ctx.uploads.clock = lambda: 10**12  # far beyond SUNLIGHT_UPLOAD_EXPIRY_H
        assert offset_gone(api, url)  # past its expiry an upload is no longer served
        assert sweep(ctx) == (0, 1)
        assert not stored_uploads(api)
