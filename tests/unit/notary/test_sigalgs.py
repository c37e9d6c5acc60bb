"""Party signatures in Ed25519, P-256 and SM2: each verifies only for its key, its payload, its
party and its algorithm; SM2 reproduces the standard's examples and agrees with OpenSSL."""

from __future__ import annotations

import base64
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from notary import sm2
from notary.errors import KeyMaterialError, RecordError, SignatureError
from notary.records import Record, RecordSignature, signing_payload, verify_record_signature
from notary.sigalgs import ALGS, P256_N, PartyKey, parse_public_key, verify_signature
from tests.conftest import require

RECORD = Record.model_validate(
    {
        "project": "XQ-2026-0042",
        "stage": "settlement",
        "kind": "acceptance_certificate",
        "content": {"sha256": "ab" * 32, "size": 10},
        "data": {"amount_cny": 120000},
        "submitter": "township",
        "received_at": "2026-11-23T00:00:00Z",
    }
)

# GB/T 32918.2-2016 Annex A (= GM/T 0003.2-2012 Annex A): the example curve Fp-256.
FP256 = sm2.Curve(
    p=0x8542D69E4C044F18E8B92435BF6FF7DE457283915C45517D722EDB8B08F1DFC3,
    a=0x787968B4FA32C3FD2417842E73BBFEFF2F3C848B6831D7E0EC65228B3937E498,
    b=0x63E4C6D3B23B0C849CF84241484BFE48F61D59A5B16BA06E6E12D1DA27C5249A,
    gx=0x421DEBD61B62EAB6746434EBC3CC315E32220B3BADD50BDC4C4E6C147FEDD43D,
    gy=0x0680512BCBB42C07D47349D2153B70C4E5D7FDFCBFA36EA1A85841B9E46E09A2,
    n=0x8542D69E4C044F18E8B92435BF6FF7DD297720630485628D5AE74EE7C32E79B7,
)


def _key(alg: str) -> PartyKey:
    return PartyKey.from_secret(alg, secrets.token_bytes(48))


def _signed(key: PartyKey, party: str = "contractor", record: Record = RECORD) -> RecordSignature:
    sig = key.sign(signing_payload(record, party))
    return RecordSignature(
        party=party, alg=key.alg, key_id="k1", sig=base64.b64encode(sig).decode()
    )


def _flip(sig: RecordSignature, byte: int) -> RecordSignature:
    raw = bytearray(sig.signature_bytes())
    raw[byte] ^= 0x01
    return sig.model_copy(update={"sig": base64.b64encode(bytes(raw)).decode()})


# --- forgeries, each algorithm -----------------------------------------------------------------


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("byte", [0, 31, 32, 63])
def test_a_changed_signature_bit_fails(alg: str, byte: int) -> None:
    key = _key(alg)
    with pytest.raises(SignatureError):
        verify_record_signature(RECORD, _flip(_signed(key), byte), key.public_key, key.alg)


@pytest.mark.parametrize("alg", ALGS)
def test_another_key_of_the_same_algorithm_fails(alg: str) -> None:
    with pytest.raises(SignatureError):
        verify_record_signature(RECORD, _signed(_key(alg)), _key(alg).public_key, alg)  # type: ignore[arg-type]


@pytest.mark.parametrize("alg", ALGS)
def test_a_signature_for_another_party_or_record_fails(alg: str) -> None:
    key = _key(alg)
    good = _signed(key)
    verify_record_signature(RECORD, good, key.public_key, key.alg)
    as_other = good.model_copy(update={"party": "township"})  # contractor's signature, relabelled
    with pytest.raises(SignatureError):
        verify_record_signature(RECORD, as_other, key.public_key, key.alg)
    moved = RECORD.model_copy(update={"data": {"amount_cny": 990000}})
    with pytest.raises(SignatureError):
        verify_record_signature(moved, good, key.public_key, key.alg)


@pytest.mark.parametrize("signed_as", ALGS)
@pytest.mark.parametrize("claimed", ALGS)
def test_a_signature_is_never_checked_as_another_algorithm(signed_as: str, claimed: str) -> None:
    key = _key(signed_as)
    sig = _signed(key).model_copy(update={"alg": claimed})
    if claimed == signed_as:
        verify_record_signature(RECORD, sig, key.public_key, key.alg)
        return
    with pytest.raises(SignatureError):  # the key's algorithm is the registration's, not the sig's
        verify_record_signature(RECORD, sig, key.public_key, key.alg)
    with pytest.raises(SignatureError):  # nor do the bytes verify under the other algorithm
        verify_signature(claimed, key.public_key, sig.signature_bytes(), b"x")


def test_a_high_s_p256_signature_is_refused_and_never_made() -> None:
    key = _key("p256")
    payload = signing_payload(RECORD, "contractor")
    low = key.sign(payload)
    r, s = int.from_bytes(low[:32]), int.from_bytes(low[32:])
    assert s <= P256_N // 2
    high = r.to_bytes(32) + (P256_N - s).to_bytes(32)
    # The mirror image is a valid ECDSA signature (OpenSSL accepts it) but a second encoding.
    point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), key.public_key)
    point.verify(encode_dss_signature(r, P256_N - s), payload, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(SignatureError, match="low-S"):
        verify_signature("p256", key.public_key, high, payload)


@pytest.mark.parametrize(
    ("r", "s"),
    [(0, 1), (1, 0), ("n", 1), (1, "n"), (1, "n-1"), (2**256 - 1, 1)],
    ids=["r=0", "s=0", "r=n", "s=n", "r+s=n", "r=max"],
)
def test_sm2_refuses_out_of_range_r_and_s(r: int | str, s: int | str) -> None:
    key = _key("sm2")
    n = sm2.SM2P256.n
    value = {"n": n, "n-1": n - 1}
    r_, s_ = value.get(str(r), r), value.get(str(s), s)
    assert isinstance(r_, int) and isinstance(s_, int)
    with pytest.raises(SignatureError, match="out of range"):
        sm2.verify(key.public_key, b"m", r_.to_bytes(32) + s_.to_bytes(32))


@pytest.mark.parametrize("alg", ["p256", "sm2"])
def test_a_point_off_the_curve_is_no_key(alg: str) -> None:
    raw = bytearray(_key(alg).public_key)
    raw[-1] ^= 0x01
    with pytest.raises(RecordError):
        parse_public_key(alg, bytes(raw))
    with pytest.raises(SignatureError):
        verify_signature(alg, bytes(raw), b"\x01" * 64, b"m")


def test_a_p256_key_registered_as_sm2_is_refused() -> None:
    p256 = _key("p256").public_key  # a valid P-256 point, same length as an SM2 one
    with pytest.raises(RecordError, match="SM2 curve"):
        parse_public_key("sm2", p256)


# --- the standard's examples and OpenSSL ------------------------------------------------------


def test_sm2_gbt_32918_2_annex_a_example_on_the_fp256_curve() -> None:
    d = 0x128B2FA8BD433C6C068C8D803DFF79792A519A55171B1B650C23661D15897263
    public = sm2.public_key(d, FP256)
    assert public.hex() == (
        "040ae4c7798aa0f119471bee11825be46202bb79e2a5844495e97c04ff4df2548a"
        "7c0240f88f1cd4e16352a73c17b7f16f07353e53a176d684a9fe0c6bb798e857"
    )
    uid = b"ALICE123@YAHOO.COM"
    assert sm2.za(public, uid, FP256).hex() == (
        "f4a38489e32b45b6f876e3ac2168ca392362dc8f23459c1d1146fc3dbfb7bc9a"
    )
    k = 0x6CB28D99385C175C94F94E934817663FC176D925DD72B727260DBAAE1FB2F96F
    sig = sm2.sign(d, b"message digest", k=k, uid=uid, curve=FP256)
    assert sig.hex() == (
        "40f1ec59f793d9f49e09dcef49130d4194f79fb1eed2caa55bacdb49c4e755d1"
        "6fc6dac32c5d5cf10c77dfb20f7c2eb667a457872fb09ec56327a67ec7deebe7"
    )
    sm2.verify(public, b"message digest", sig, uid=uid, curve=FP256)
    with pytest.raises(SignatureError):  # the identity is signed too
        sm2.verify(public, b"message digest", sig, curve=FP256)


def test_sm2_gmt_0003_5_example_on_the_recommended_curve() -> None:
    d = 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8
    public = sm2.public_key(d)
    assert public.hex() == (
        "0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020"
        "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13"
    )
    k = 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21
    sig = sm2.sign(d, b"message digest", k=k)
    assert sig.hex() == (
        "f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3"
        "b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa"
    )
    verify_signature("sm2", public, sig, b"message digest")


def _openssl() -> str:
    path = shutil.which("openssl")
    require(path is not None, "the openssl command")
    assert path is not None
    return path


def _der(sig: bytes) -> bytes:
    return encode_dss_signature(int.from_bytes(sig[:32]), int.from_bytes(sig[32:]))


def test_sm2_agrees_with_openssl_both_ways(tmp_path: Path) -> None:
    openssl = _openssl()
    ours = _key("sm2")
    (tmp_path / "ours.pem").write_bytes(ours.to_pem())
    (tmp_path / "msg").write_bytes(signing_payload(RECORD, "contractor"))
    (tmp_path / "ours.sig").write_bytes(_der(ours.sign((tmp_path / "msg").read_bytes())))
    common = ["-rawin", "-digest", "sm3", "-pkeyopt", "distid:1234567812345678"]
    checked = subprocess.run(
        [openssl, "pkeyutl", "-verify", "-inkey", str(tmp_path / "ours.pem"), *common,
         "-in", str(tmp_path / "msg"), "-sigfile", str(tmp_path / "ours.sig")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr

    theirs = tmp_path / "theirs.pem"
    subprocess.run([openssl, "genpkey", "-algorithm", "SM2", "-out", str(theirs)], check=True)
    signed = subprocess.run(
        [openssl, "pkeyutl", "-sign", "-inkey", str(theirs), *common,
         "-in", str(tmp_path / "msg")],
        capture_output=True, check=True,
    )  # fmt: skip
    r, s = decode_dss_signature(signed.stdout)
    key = PartyKey.from_pem(theirs.read_bytes())
    assert key.alg == "sm2"
    message = (tmp_path / "msg").read_bytes()
    verify_signature("sm2", key.public_key, r.to_bytes(32) + s.to_bytes(32), message)
    with pytest.raises(SignatureError):
        verify_signature("sm2", key.public_key, r.to_bytes(32) + s.to_bytes(32), message + b" ")


# --- keys ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ALGS)
def test_a_key_file_round_trips_and_never_shows_its_secret(alg: str) -> None:
    key = _key(alg)
    again = PartyKey.from_pem(key.to_pem())
    assert (again.alg, again.public_key) == (key.alg, key.public_key)
    assert repr(key) == f"PartyKey(alg='{alg}')"
    assert parse_public_key(alg, key.public_key) == key.public_key


def test_key_files_that_are_not_keys_are_refused() -> None:
    with pytest.raises(KeyMaterialError):
        PartyKey.from_pem(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    with pytest.raises(KeyMaterialError):
        PartyKey.from_secret("p256", b"too short")
    with pytest.raises(KeyMaterialError):
        PartyKey.from_secret("rsa", secrets.token_bytes(48))
