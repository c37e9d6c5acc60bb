"""Secrets never leave the process: not in logs, not in answers, not in the data directory.

A real ``sunlight serve`` runs on loopback with an admin token, an anchoring private key and a blob
key-encryption key set through the environment. It is driven through good and bad requests (wrong
and near-miss tokens, bad bodies, revoked tokens, a token in the query string), then the CLI runs
on the same data directory (``stamp``, ``proof``, ``verify``, ``audit``, ``anchorer --once``, a
refused production start). Every byte they printed, and every file of the data directory but the
key files, is searched for every secret and every bearer token issued. Key files are mode 0600.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from api.run.process import stop_server
from tests.support.net import free_port

SUNLIGHT = str(Path(sys.executable).with_name("sunlight"))

pytestmark = pytest.mark.slow  # serves, exercises and stops a real `sunlight serve` (about 30 s)


@dataclass
class Secrets:
    admin_token: str = field(default_factory=lambda: "adm-" + secrets.token_urlsafe(40))
    anchor_key: str = field(default_factory=lambda: secrets.token_bytes(32).hex())
    kek: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    issued: list[str] = field(default_factory=list)

    def env(self, data_dir: Path) -> dict[str, str]:
        return {
            **os.environ,
            "SUNLIGHT_DATA_DIR": str(data_dir),
            "SUNLIGHT_ADMIN_TOKEN": self.admin_token,
            "SUNLIGHT_ANCHOR_PRIVATE_KEY": "0x" + self.anchor_key,
            "SUNLIGHT_BLOB_KEK": self.kek.hex(),
            "SUNLIGHT_ANCHOR_INTERVAL_S": "1",
            "NO_COLOR": "1",
        }

    def needles(self) -> dict[str, bytes]:
        """Every form in which a secret could be written."""
        out = {
            "admin token": self.admin_token.encode(),
            "anchor key (hex)": self.anchor_key.encode(),
            "anchor key (HEX)": self.anchor_key.upper().encode(),
            "anchor key (raw)": bytes.fromhex(self.anchor_key),
            "KEK (hex)": self.kek.hex().encode(),
            "KEK (base64)": base64.b64encode(self.kek).decode().rstrip("=").encode(),
            "KEK (raw)": self.kek,
        }
        for n, token in enumerate(self.issued):
            out[f"issued token {n}"] = token.encode()
            out[f"issued token {n} secret part"] = token.split("_", 2)[
                2
            ].encode()  # sl_<id>_<secret>
        return out


def find_secrets(haystack: bytes, needles: dict[str, bytes]) -> list[str]:
    return [name for name, needle in needles.items() if needle and needle in haystack]


@pytest.fixture(scope="module")
def run(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Secrets, Path, dict[str, bytes]]]:
    """Serve, exercise, stop, run the CLI; yield the secrets, the data dir and every output."""
    base = tmp_path_factory.mktemp("secrets")
    data = base / "data"
    s = Secrets()
    outputs: dict[str, bytes] = {}
    port = free_port()
    server_out, server_err = base / "serve.out", base / "serve.err"
    with server_out.open("wb") as out, server_err.open("wb") as err:
        proc = subprocess.Popen(
            [SUNLIGHT, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=s.env(data),
            stdout=out,
            stderr=err,
        )
        try:
            _exercise(f"http://127.0.0.1:{port}", s, outputs)
        finally:
            stop_server(proc)
    outputs["serve stdout"] = server_out.read_bytes()
    outputs["serve stderr"] = server_err.read_bytes()
    _cli(base, data, s, outputs)
    yield s, data, outputs


def _exercise(url: str, s: Secrets, outputs: dict[str, bytes]) -> None:
    admin = {"Authorization": f"Bearer {s.admin_token}"}
    with httpx.Client(base_url=url, timeout=60) as c:
        deadline = time.monotonic() + 90
        while True:
            try:
                if c.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "sunlight serve did not start"
            time.sleep(0.3)
        answers: list[httpx.Response] = []
        r = c.post(
            "/v1/parties",
            headers=admin,
            json={
                "id": "township",
                "name": "Township",
                "kind": "organisation",
                "roles": ["submitter"],
            },
        )
        assert r.status_code == 201, r.text
        for _ in range(2):
            r = c.post("/v1/parties/township/tokens", headers=admin)
            assert r.status_code == 201
            s.issued.append(r.json()["token"])
        token_id = r.json()["token_id"]
        sub = {"Authorization": f"Bearer {s.issued[0]}"}
        for public in (True, False):
            r = c.post(
                "/v1/records",
                headers=sub,
                data={"meta": json.dumps({"public": public, "kind": "contract"})},
                files={"file": ("contract.pdf", f"contract {public}".encode(), "application/pdf")},
            )
            assert r.status_code == 201, r.text
            answers.append(r)
        record_id = r.json()["id"]
        answers.append(c.post("/v1/anchor", headers=admin))
        assert answers[-1].status_code == 200, answers[-1].text
        answers += [
            c.get(f"/v1/records/{record_id}/proof", headers=sub),
            c.get(f"/v1/records/{record_id}/file", headers=sub),
            c.get(f"/v1/records/{record_id}/file"),  # private: 404
            # Failures: near-miss and wrong tokens, a token in the query string, bad bodies.
            c.get("/v1/parties/me", headers={"Authorization": f"Bearer {s.admin_token}x"}),
            c.get("/v1/parties/me", headers={"Authorization": f"Bearer {s.issued[0][:-1]}"}),
            c.get("/v1/parties/me", headers={"Authorization": f"Basic {s.admin_token}"}),
            c.get(f"/v1/checkpoints/latest?token={s.issued[1]}"),
            c.post("/v1/records", headers=sub, data={"meta": "{not json"}),
            c.post("/v1/records", headers=sub, data={"meta": json.dumps({"x": s.issued[1]})}),
            c.post("/v1/verify", content=b'{"format": "sunlight-proof/1", "record": 5}'),
            c.post("/v1/parties", headers=admin, content=b"\xff\xfe not json"),
            c.delete(f"/v1/tokens/{token_id}", headers=admin),
            c.get("/v1/parties/me", headers={"Authorization": f"Bearer {s.issued[1]}"}),  # revoked
            c.get("/metrics"),
        ]
        assert all(a.status_code < 500 for a in answers), [a.status_code for a in answers]
        outputs["answers"] = b"\n".join(
            a.content + json.dumps(dict(a.headers)).encode() for a in answers
        )
        # The bundle for the CLI's verify.
        outputs["_bundle"] = answers[3].content if answers[3].status_code == 200 else b""


def _cli(base: Path, data: Path, s: Secrets, outputs: dict[str, bytes]) -> None:
    env = s.env(data)
    (base / "site.jpg").write_bytes(b"a site photo")

    def cli(name: str, *args: str, environ: dict[str, str] | None = None) -> bytes:
        done = subprocess.run(
            [SUNLIGHT, *args], env=environ or env, capture_output=True, timeout=300, check=False
        )
        outputs[f"cli {name}"] = done.stdout + done.stderr
        return done.stdout

    stamped = cli("stamp", "stamp", str(base / "site.jpg"), "--project", "XQ-1")
    record_id = json.loads(stamped.splitlines()[-1])["id"]
    cli("proof", "proof", record_id, "-o", str(base / "bundle.json"))
    cli("verify", "verify", str(base / "bundle.json"), "--file", str(base / "site.jpg"))
    (base / "bad.json").write_text('{"format": "sunlight-proof/1", "record": {}}')
    cli("verify bad", "verify", str(base / "bad.json"))
    if outputs["_bundle"]:
        (base / "served.json").write_bytes(outputs["_bundle"])
        cli("verify served", "verify", str(base / "served.json"), "--json")
    cli("audit", "audit")
    cli("anchorer", "anchorer", "--once")
    cli(
        "refused production start",
        "audit",
        environ={**env, "SUNLIGHT_ENVIRONMENT": "production", "SUNLIGHT_ADMIN_TOKEN": "weak"},
    )
    # A second data directory without an anchoring key: the embedded chain makes and keeps one.
    fresh = {k: v for k, v in env.items() if k != "SUNLIGHT_ANCHOR_PRIVATE_KEY"}
    fresh["SUNLIGHT_DATA_DIR"] = str(base / "data2")
    cli("anchorer on a fresh dir", "anchorer", "--once", environ=fresh)
    del outputs["_bundle"]


KEY_FILES = {"notary_key.pem", "anchor_key"}


def test_the_run_worked(run: tuple[Secrets, Path, dict[str, bytes]]) -> None:
    s, _, outputs = run
    assert len(s.issued) == 2
    assert b"verified" in outputs["cli verify"].lower() or b"pass" in outputs["cli verify"].lower()
    assert b"insecure settings for production" in outputs["cli refused production start"]


def test_no_output_holds_a_secret(run: tuple[Secrets, Path, dict[str, bytes]]) -> None:
    s, _, outputs = run
    needles = s.needles()
    leaks = {name: find_secrets(text, needles) for name, text in outputs.items()}
    assert {k: v for k, v in leaks.items() if v} == {}


def test_no_file_of_the_data_directory_holds_a_secret(
    run: tuple[Secrets, Path, dict[str, bytes]],
) -> None:
    s, data, _ = run
    needles = s.needles()
    notary_pem = (data / "notary_key.pem").read_bytes()
    key = serialization.load_pem_private_key(notary_pem, password=None)
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    needles["notary key (raw)"] = raw
    needles["notary key (hex)"] = raw.hex().encode()
    needles["notary key (PEM body)"] = b"".join(notary_pem.splitlines()[1:-1])
    stored_anchor_key = (data.parent / "data2" / "chain" / "anchor_key").read_text().strip()
    needles["stored anchor key"] = stored_anchor_key.removeprefix("0x").encode()
    checked = 0
    for root in (data, data.parent / "data2"):
        for path in root.rglob("*"):
            if path.is_file() and path.name not in KEY_FILES:
                checked += 1
                assert find_secrets(path.read_bytes(), needles) == [], path
    assert checked >= 5
    for name, text in run[2].items():
        assert find_secrets(text, needles) == [], name


def test_key_files_are_private(run: tuple[Secrets, Path, dict[str, bytes]]) -> None:
    _, data, _ = run
    for path in (data / "notary_key.pem", data.parent / "data2" / "chain" / "anchor_key"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    # With SUNLIGHT_ANCHOR_PRIVATE_KEY set, no key is written to disk.
    assert not (data / "chain" / "anchor_key").exists()


def test_bearer_tokens_are_stored_only_as_hashes(
    run: tuple[Secrets, Path, dict[str, bytes]],
) -> None:
    import hashlib
    import sqlite3

    s, data, _ = run
    with sqlite3.connect(data / "sunlight.db") as db:
        stored = {bytes(row[0]) for row in db.execute("SELECT token_hash FROM tokens")}
    assert {hashlib.sha256(t.encode()).digest() for t in s.issued} <= stored


def test_the_search_would_find_a_leak(run: tuple[Secrets, Path, dict[str, bytes]]) -> None:
    s, _, outputs = run
    needles = s.needles()
    for needle in needles.values():
        assert find_secrets(b"log line: " + needle + b" end", needles)
    # The server did log requests, failures included, so silence is not why nothing leaked.
    log = outputs["serve stderr"] + outputs["serve stdout"]
    assert log.count(b'"message": "request"') >= 10 and b'"status": 401' in log


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    from anchors.embedded import EmbeddedChain
    from api.settings import Settings
    from api.storage.keystore import load_notary_key
    from notary.errors import AnchorError, KeyMaterialError

    settings = Settings(data_dir=tmp_path)
    load_notary_key(settings)
    (tmp_path / "notary_key.pem").chmod(0o644)
    with pytest.raises(KeyMaterialError, match="chmod 600"):
        load_notary_key(settings)
    chain = tmp_path / "chain"
    EmbeddedChain(chain).close()
    assert stat.S_IMODE((chain / "anchor_key").stat().st_mode) == 0o600
    (chain / "anchor_key").chmod(0o640)
    with pytest.raises(AnchorError, match="chmod 600"):
        EmbeddedChain(chain)
