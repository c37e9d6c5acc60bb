"""``sunlight keygen`` and ``sunlight sign``, offline: the key file is private (0600, never
printed, never overwritten) and the signature printed is the one the server will check."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from notary.errors import SignatureError
from notary.records import Content, Record, RecordSignature, verify_record_signature

runner = CliRunner()


@pytest.mark.parametrize("alg", ["ed25519", "p256", "sm2"])
def test_keygen_then_sign_makes_a_signature_the_record_verifies(tmp_path: Path, alg: str) -> None:
    key_file = tmp_path / "party-key.pem"
    made = runner.invoke(app, ["keygen", "--alg", alg, "--out", str(key_file)])
    assert made.exit_code == 0, made.output
    public = json.loads(made.stdout)
    assert public["alg"] == alg and "PRIVATE" not in made.output
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = runner.invoke(app, ["keygen", "--alg", alg, "--out", str(key_file)])
    assert again.exit_code != 0 and key_file.read_bytes().startswith(b"-----BEGIN PRIVATE KEY")

    document = tmp_path / "acceptance.pdf"
    document.write_bytes(b"%PDF acceptance certificate")
    signed = runner.invoke(
        app,
        ["sign", str(document), "--party", "contractor", "--key-id", "c1", "--key", str(key_file),
         "--project", "XQ-2026-0042", "--stage", "settlement", "--kind", "acceptance_certificate",
         "--data", '{"amount_cny": 120000}'],
    )  # fmt: skip
    assert signed.exit_code == 0, signed.output
    signature = RecordSignature.model_validate(json.loads(signed.stdout))
    record = Record(
        project="XQ-2026-0042", stage="settlement", kind="acceptance_certificate",
        content=Content(sha256=hashlib.sha256(document.read_bytes()).hexdigest(), size=27),
        data={"amount_cny": 120000}, submitter="township", received_at="2026-11-23T00:00:00Z",
        signatures=(signature,),
    )  # fmt: skip
    key = base64.b64decode(public["public_key"])
    verify_record_signature(record, signature, key, alg)  # type: ignore[arg-type]
    with pytest.raises(SignatureError):  # another amount than the one signed
        changed = record.model_copy(update={"data": {"amount_cny": 990000}})
        verify_record_signature(changed, signature, key, alg)  # type: ignore[arg-type]
