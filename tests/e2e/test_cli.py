"""The sunlight command line as a user runs it: stamp, proof, verify, audit, demo."""

import base64
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from notary.signing import NotaryKey

SUNLIGHT = str(Path(sys.executable).parent / "sunlight")


def run(*args: str, data_dir: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUNLIGHT_")}
    result = subprocess.run(
        [SUNLIGHT, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**env, "SUNLIGHT_DATA_DIR": str(data_dir), "COLUMNS": "200"},
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture
def stamped(tmp_path):
    files = []
    for i, body in enumerate([b"contract v1", b"\x89PNG fake photo" * 1000, b""]):
        path = tmp_path / f"file{i}.bin"
        path.write_bytes(body)
        files.append(path)
    data = tmp_path / "data"
    result = run(
        "stamp",
        *map(str, files),
        "--project",
        "XQ-2026-0001",
        "--stage",
        "implementation",
        data_dir=data,
    )
    receipts = [json.loads(line) for line in result.stdout.splitlines()]
    return data, files, receipts


def test_stamp_prints_one_signed_receipt_per_file(stamped):
    data, _, receipts = stamped
    assert [r["leaf_index"] for r in receipts] == [0, 1, 2]
    assert {r["log_id"] for r in receipts} == {receipts[0]["log_id"]}
    key = data / "notary_key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_proof_then_offline_verify_with_the_file(stamped, tmp_path):
    data, files, receipts = stamped
    bundle = tmp_path / "b.json"
    run("proof", receipts[1]["id"], "-o", str(bundle), data_dir=data)
    key = base64.b64encode(NotaryKey.from_pem((data / "notary_key.pem").read_bytes()).public_key)
    pin = ("--log-key", key.decode())
    unpinned = run("verify", str(bundle), "--file", str(files[1]), data_dir=data, check=False)
    assert unpinned.returncode == 3 and "NOT AUTHENTICATED" in unpinned.stdout
    ok = run("verify", str(bundle), "--file", str(files[1]), *pin, "--json", data_dir=data)
    report = json.loads(ok.stdout)
    assert report["verified"] is True and report["level"] == "verified_by_log"
    assert {c["check"] for c in report["checks"] if c["passed"]} >= {
        "leaf_hash",
        "inclusion",
        "file",
        "checkpoint_signature",
    }

    changed = tmp_path / "changed.bin"
    changed.write_bytes(files[1].read_bytes() + b"!")
    bad = run("verify", str(bundle), "--file", str(changed), *pin, data_dir=data, check=False)
    assert bad.returncode == 1 and "NOT VERIFIED" in bad.stdout and "FAILED" in bad.stdout

    tampered = json.loads(bundle.read_text())
    tampered["record"]["content"]["size"] += 1
    bundle.write_text(json.dumps(tampered))
    bad = run("verify", str(bundle), "--json", *pin, data_dir=data, check=False)
    assert bad.returncode == 1
    assert {c["check"] for c in json.loads(bad.stdout)["checks"] if c["passed"] is False} == {
        "leaf_hash",
        "inclusion",
    }


def test_verify_refuses_garbage_with_a_clear_error(tmp_path):
    garbage = tmp_path / "g.json"
    garbage.write_text('{"format": "sunlight-proof/1", "record": 5}')
    result = run("verify", str(garbage), data_dir=tmp_path, check=False)
    assert (
        result.returncode == 2
        and "MalformedProofError" in result.stderr
        and "Traceback" not in result.stderr
    )


@pytest.mark.parametrize("command", [("checkpoint",), ("serve",), ("blobs", "check")])
def test_an_invalid_setting_is_one_line_naming_it_and_never_a_secret(command, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUNLIGHT_")}
    secret = "0x" + "5ec7e7" * 10 + "abcd"
    result = subprocess.run(
        [SUNLIGHT, *command],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **env,
            "SUNLIGHT_DATA_DIR": str(tmp_path / "data"),
            "SUNLIGHT_ANCHOR_INTERVAL_S": "-1",
            "SUNLIGHT_ANCHOR_PRIVATE_KEY": secret,
            "SUNLIGHT_ADMIN_TOKEN": "admin-secret-" + "y" * 30,
            "COLUMNS": "80",
        },
    )
    printed = result.stdout + result.stderr
    assert result.returncode == 2, printed
    assert "Traceback" not in printed and "pydantic" not in printed, printed
    assert "SUNLIGHT_ANCHOR_INTERVAL_S: must be greater than 0" in result.stderr, printed
    assert len(result.stderr.strip().splitlines()) == 1, printed
    assert "5ec7e7" not in printed and "admin-secret" not in printed, printed
    assert not (tmp_path / "data").exists()  # refused before anything was created


def test_audit_passes_on_an_untouched_log(stamped):
    data, _, _ = stamped
    assert "audit passed: 3 entries" in run("audit", data_dir=data).stdout


def test_unknown_record_is_a_clear_error(stamped):
    data, _, _ = stamped
    result = run("proof", "0" * 32, data_dir=data, check=False)
    assert result.returncode == 2 and "no record with id" in result.stderr


def test_a_key_file_readable_by_others_is_refused(stamped, tmp_path):
    data, files, _ = stamped
    (data / "notary_key.pem").chmod(0o644)
    result = run("stamp", str(files[0]), data_dir=data, check=False)
    assert result.returncode == 2 and "chmod 600" in result.stderr


def test_demo_runs_end_to_end(tmp_path):
    result = run(
        "demo", "--data-dir", str(tmp_path / "demo"), "--no-keep-serving", data_dir=tmp_path
    )
    assert "demo complete" in result.stdout, result.stdout
    # 4 records: anchored through the API and the trust file, verified by the pinned log offline
    assert result.stdout.count("API anchored") == 4, result.stdout
    assert result.stdout.count("pinned key verified_by_log") == 4
    assert "rejected" in result.stdout and "— refused" in result.stdout
    out = tmp_path / "demo" / "demo" / "out"
    assert (out / "contract-certificate.pdf").read_bytes().startswith(b"%PDF")
    assert len(list(out.glob("*.proof.json"))) == 5  # 4 records and the forgery
