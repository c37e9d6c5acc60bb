"""``sunlight demo``: the main job end to end on the embedded defaults.

It starts ``sunlight serve`` on loopback (SQLite, the embedded chain, the local blob store),
registers the parties of a village road project, notarizes a contract PDF, an acceptance
certificate signed by the contractor and the supervisor, and site photos carrying GPS EXIF; anchors
the log; fetches every proof bundle and verifies it three ways — through the API, offline with the
CLI, and against the chain through JSON-RPC — writes an evidence certificate, and shows that a
changed file is caught.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from PIL import Image
from rich.console import Console

from api.run.demo_county import show_county
from api.run.process import start_server, stop_server
from api.settings import Settings
from notary.bundle import make_bundle
from notary.merkle import MerkleTree
from notary.records import Record, signing_payload
from notary.signing import NotaryKey

PROJECT = "XQ-2026-0042"


@dataclass(frozen=True)
class Sample:
    path: Path
    stage: str
    kind: str
    submitter: str
    data: dict[str, Any]
    signers: tuple[str, ...] = ()


def _pdf(lines: list[str]) -> bytes:
    """A small, valid one-page PDF (the contract)."""
    text = "\n".join(f"({line}) Tj T*" for line in lines)
    stream = f"BT /F1 12 Tf 14 TL 72 760 Td {text} ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    return (float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 2))


def site_photo(
    path: Path, lat: float, lon: float, taken: str, colour: tuple[int, int, int]
) -> None:
    """A JPEG site photo with GPS position and time in its EXIF, as a phone would write it."""
    image = Image.new("RGB", (320, 240), colour)
    exif = Image.Exif()
    exif[0x0132] = taken.replace("-", ":").replace("T", " ")[:19]  # DateTime
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", _dms(lat)
    gps[3], gps[4] = "E", _dms(lon)
    image.save(path, "JPEG", exif=exif, quality=85)


def gps_of(path: Path) -> dict[str, float]:
    """Read the position back from the EXIF (what a field client does before submitting)."""
    with Image.open(path) as image:
        gps = image.getexif().get_ifd(0x8825)

    def decimal(dms: Any, ref: str) -> float:
        value = float(dms[0]) + float(dms[1]) / 60 + float(dms[2]) / 3600
        return round(-value if ref in ("S", "W") else value, 6)

    return {"lat": decimal(gps[2], gps[1]), "lon": decimal(gps[4], gps[3])}


def _samples(folder: Path) -> list[Sample]:
    folder.mkdir(parents=True, exist_ok=True)
    contract = folder / "contract.pdf"
    contract.write_bytes(
        _pdf(
            [
                "Construction contract - village road paving, Qingshi township",
                f"Project {PROJECT}: 1.2 km concrete road, Nanshan village",
                "Employer: Qingshi Township Government",
                "Contractor: Qingshi Road & Bridge Co., Ltd.",
                "Contract price: CNY 486,000.00; completion within 60 days",
            ]
        )
    )
    photos = []
    for i, (lat, lon, colour) in enumerate(
        [(30.27412, 120.15531, (96, 140, 64)), (30.27455, 120.15602, (120, 120, 110))]
    ):
        photo = folder / f"site-photo-{i + 1}.jpg"
        site_photo(photo, lat, lon, f"2026-11-2{i + 1}T09:3{i}:00", colour)
        photos.append(photo)
    acceptance = folder / "acceptance-certificate.json"
    acceptance.write_text(
        json.dumps(
            {
                "title": "竣工验收证书 / Completion acceptance certificate",
                "project": PROJECT,
                "result": "accepted / 验收合格",
                "length_m": 1200,
                "defects": [],
            },
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )
    return [
        Sample(
            contract,
            "implementation",
            "contract",
            "township-qingshi",
            {"amount_cny": 486000, "days": 60},
        ),
        *[
            Sample(
                p,
                "implementation",
                "site_photo",
                "supervisor-zhang",
                {
                    "gps": {**gps_of(p), "accuracy_m": 8},
                    "taken_at": f"2026-11-2{i + 1}T09:3{i}:00+08:00",
                },
            )
            for i, p in enumerate(photos)
        ],
        Sample(
            acceptance,
            "settlement",
            "acceptance_certificate",
            "township-qingshi",
            {"result": "accepted"},
            signers=("contractor-lubridge", "supervisor-zhang"),
        ),
    ]


def sign_fields(
    record_fields: dict[str, Any], party: str, key: Ed25519PrivateKey
) -> dict[str, str]:
    draft = Record.model_validate({**record_fields, "received_at": "2026-01-01T00:00:00Z"})
    sig = base64.b64encode(key.sign(signing_payload(draft, party))).decode()
    return {"party": party, "alg": "ed25519", "key_id": f"{party}-1", "sig": sig}


def run_demo(settings: Settings, console: Console, *, keep_serving: bool = False) -> None:
    root = settings.data_dir.resolve() / "demo"
    shutil.rmtree(root, ignore_errors=True)
    data_dir, out_dir = root / "data", root / "out"
    out_dir.mkdir(parents=True)
    admin = secrets.token_urlsafe(32)
    console.rule("Sunlight demo — 阳光工程存证")
    console.print(f"working in {root}")
    from api.run.demo_project import CODE as PROJECT_CODE  # noqa: PLC0415 - it imports this module
    from api.run.demo_project import DEMO_RULES  # noqa: PLC0415

    rules = root / "lifecycle-rules.json"
    rules.write_text(json.dumps(DEMO_RULES))
    env = {"SUNLIGHT_LIFECYCLE_RULES": str(rules)}
    server, base = start_server(data_dir, admin, root / "server.log", extra_env=env)
    ok = True
    try:
        ok = _run(console, base, admin, root, out_dir)
        if keep_serving and ok:
            console.print(
                f"\nThe verification page is at [bold]{base}/verify[/], the village project's "
                f"timeline at [bold]{base}/projects/{PROJECT_CODE}[/] — press Ctrl-C to stop."
            )
            server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop_server(server)
    if not ok:
        raise SystemExit(1)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run this installation's ``sunlight`` command (a fixed executable, our own arguments)."""
    sunlight = str(Path(sys.executable).parent / "sunlight")
    return subprocess.run([sunlight, *args], capture_output=True, text=True, check=False)  # noqa: S603


def _run(console: Console, base: str, admin: str, root: Path, out_dir: Path) -> bool:
    admin_api = httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {admin}"}, timeout=120
    )
    tokens, keys = _register_parties(console, admin_api)
    accepted = _notarize(console, base, root, tokens, keys)
    anchored = anchor_all(admin_api, accepted[-1][1]["leaf_index"] + 1)
    console.print(
        f"anchored checkpoint of {anchored['tree_size']} records on chain "
        f"{anchored['chain_id']}: tx {anchored['tx_hash'][:18]}…, block "
        f"{anchored['block_number']}",
        highlight=False,
    )
    all_ok = _verify_three_ways(console, base, out_dir, accepted)
    all_ok &= _certificate_and_tampering(console, base, out_dir, accepted)
    console.print(
        f"verification page: {base}/verify?id={accepted[0][1]['id']}  (proof bundles in {out_dir})",
        highlight=False,
    )
    from api.run.demo_project import walk_project  # noqa: PLC0415 - it imports this module

    all_ok &= walk_project(console, base, admin, out_dir).complete
    all_ok &= show_county(console, base, root / "data")
    if all_ok:
        console.print(
            "[bold green]demo complete: every proof verified against the pinned log key "
            "(offline) and anchored on the chain (API, trust file); the forgery refused; the "
            "village project archived, its three wrong actions refused, its record complete[/]"
        )
    else:
        console.print("[bold red]demo FAILED: see above[/]")
    return all_ok


def anchor_all(admin_api: httpx.Client, size: int, timeout_s: float = 120.0) -> dict[str, Any]:
    """Anchor the log up to ``size`` records. The server's own anchorer may be in a round already
    (then ``POST /v1/anchor`` finds nothing to do): wait for its anchor to be confirmed."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = admin_api.post("/v1/anchor").json()
        if answer.get("tx_hash") and answer["tree_size"] >= size:
            return dict(answer)
        latest = admin_api.get("/v1/checkpoints/latest").json()
        anchor = latest.get("anchor")
        if anchor and latest["checkpoint"]["tree_size"] >= size:
            return {"tree_size": latest["checkpoint"]["tree_size"], **anchor}
        if time.monotonic() > deadline:
            raise TimeoutError(f"the log was not anchored up to {size} records in {timeout_s} s")
        time.sleep(0.5)


def _register_parties(
    console: Console, admin_api: httpx.Client
) -> tuple[dict[str, str], dict[str, Ed25519PrivateKey]]:
    parties = {
        "township-qingshi": (
            "青石镇人民政府 Qingshi Township Government",
            "organisation",
            ["submitter"],
        ),
        "contractor-lubridge": (
            "青石路桥有限公司 Qingshi Road & Bridge Co.",
            "organisation",
            ["submitter"],
        ),
        "supervisor-zhang": ("张工 Zhang (third-party supervisor)", "person", ["submitter"]),
        "audit-bureau": ("县审计局 County Audit Bureau", "organisation", ["auditor"]),
    }
    tokens, keys = {}, {}
    for pid, (name, kind, roles) in parties.items():
        admin_api.post(
            "/v1/parties", json={"id": pid, "name": name, "kind": kind, "roles": roles}
        ).raise_for_status()
        tokens[pid] = admin_api.post(f"/v1/parties/{pid}/tokens").json()["token"]
        if pid.startswith(("contractor", "supervisor")):
            keys[pid] = Ed25519PrivateKey.generate()
            raw = keys[pid].public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
            admin_api.post(
                f"/v1/parties/{pid}/keys",
                json={"key_id": f"{pid}-1", "public_key": base64.b64encode(raw).decode()},
            ).raise_for_status()
    console.print(
        f"registered {len(parties)} parties; signing keys for {', '.join(keys)}", highlight=False
    )
    return tokens, keys


def _notarize(
    console: Console,
    base: str,
    root: Path,
    tokens: dict[str, str],
    keys: dict[str, Ed25519PrivateKey],
) -> list[tuple[Sample, dict[str, Any]]]:
    accepted = []
    for sample in _samples(root / "files"):
        content = sample.path.read_bytes()
        fields = {
            "project": PROJECT,
            "stage": sample.stage,
            "kind": sample.kind,
            "data": sample.data,
        }
        signed_view = {
            **fields,
            "submitter": sample.submitter,
            "content": {"sha256": hashlib.sha256(content).hexdigest(), "size": len(content)},
        }
        signatures = [sign_fields(signed_view, p, keys[p]) for p in sample.signers]
        r = httpx.post(
            f"{base}/v1/records",
            timeout=120,
            headers={"Authorization": f"Bearer {tokens[sample.submitter]}"},
            data={"meta": json.dumps({**fields, "signatures": signatures})},
            files={"file": (sample.path.name, content)},
        )
        r.raise_for_status()
        body = r.json()
        accepted.append((sample, body))
        extra = f", signed by {', '.join(sample.signers)}" if sample.signers else ""
        gps = sample.data.get("gps")
        extra += f", GPS {gps['lat']}, {gps['lon']}" if gps else ""
        console.print(
            f"notarized [bold]{sample.path.name}[/] ({sample.kind}) → leaf "
            f"{body['leaf_index']}, signed receipt{extra}",
            highlight=False,
        )
    return accepted


def trust_file(base: str, out_dir: Path) -> tuple[Path, str]:
    """This server's trust root, saved as a ``sunlight-trust/1`` file whose chain is read through
    the embedded chain's JSON-RPC; and the log key (base64) to pin."""
    trust = httpx.get(f"{base}/v1/trust", timeout=60).json()
    log = trust["logs"][0]
    if "chain" in log:
        log["chain"]["rpc_url"] = f"{base}/v1/chain/rpc"
    path = out_dir / "trust.json"
    path.write_text(json.dumps(trust, indent=2))
    return path, str(log["public_key"])


def level_of(result: subprocess.CompletedProcess[str]) -> str:
    return str(json.loads(result.stdout)["level"]) if result.stdout else "error"


def _verify_three_ways(
    console: Console, base: str, out_dir: Path, accepted: list[tuple[Sample, dict[str, Any]]]
) -> bool:
    trust, log_key = trust_file(base, out_dir)
    console.print(f"trust root of this log saved to {trust} (log key {log_key})", highlight=False)
    all_ok = True
    for sample, body in accepted:
        bundle = httpx.get(f"{base}/v1/records/{body['id']}/proof", timeout=60).json()
        bundle_path = out_dir / f"{sample.path.name}.proof.json"
        bundle_path.write_text(json.dumps(bundle, indent=2))
        via_api = httpx.post(f"{base}/v1/verify", json=bundle, timeout=60).json()
        file = ("--file", str(sample.path))
        offline = cli("verify", str(bundle_path), *file, "--log-key", log_key, "--json")
        on_chain = cli("verify", str(bundle_path), *file, "--trust", str(trust), "--json")
        levels = {
            "API": via_api["level"],
            "offline, pinned key": level_of(offline),
            "chain, trust file": level_of(on_chain),
        }
        want = {"API": "anchored", "offline, pinned key": "verified_by_log"}
        ok = levels == {**want, "chain, trust file": "anchored"}
        all_ok &= ok
        signed = [c for c in via_api["checks"] if c["check"].startswith("signature:")]
        sigs = (
            f"; {sum(c['passed'] is True for c in signed)}/{len(signed)} party signatures checked"
        )
        console.print(
            f"verified [bold]{sample.path.name}[/]: "
            + ", ".join(f"{k} {'[green]' if ok else '[red]'}{v}[/]" for k, v in levels.items())
            + (sigs if signed else ""),
            highlight=False,
        )
    return all_ok & _forgery_refused(console, base, out_dir, trust)


def _forgery_refused(console: Console, base: str, out_dir: Path, trust: Path) -> bool:
    """A bundle forged from nothing — a payment never notarized, signed by a fresh key that the
    bundle itself carries — is refused by every verifier, and never called verified."""
    key = NotaryKey.from_seed(secrets.token_bytes(32))
    entry = Record(
        project=PROJECT,
        stage="settlement",
        kind="payment_request",
        data={"amount_fen": 98_600_000, "payee": "a forger"},
        submitter="township-qingshi",
        received_at="2026-11-23T00:01:03Z",
    ).canonical()
    tree = MerkleTree()
    tree.append(entry)
    forged = make_bundle(
        entry=entry,
        leaf_index=0,
        checkpoint=key.sign_checkpoint(1, tree.root(), "2026-11-23T00:10:00Z"),
        inclusion_proof=[],
        log_public_key=key.public_key,
    ).to_json()
    path = out_dir / "forged.proof.json"
    path.write_text(json.dumps(forged, indent=2))
    levels = {
        "API": httpx.post(f"{base}/v1/verify", json=forged, timeout=60).json()["level"],
        "trust file": level_of(cli("verify", str(path), "--trust", str(trust), "--json")),
        "no trust root": level_of(cli("verify", str(path), "--json")),
    }
    refused = levels == {
        "API": "not_verified",
        "trust file": "not_verified",
        "no trust root": "not_authenticated",
    }
    console.print(
        "a bundle forged from nothing (its own key, a payment never notarized): "
        + ", ".join(f"{k} {v}" for k, v in levels.items())
        + (" [green]— refused[/]" if refused else " [red]— NOT refused[/]"),
        highlight=False,
    )
    return refused


def _certificate_and_tampering(
    console: Console, base: str, out_dir: Path, accepted: list[tuple[Sample, dict[str, Any]]]
) -> bool:
    contract, body = accepted[0]
    certificate = out_dir / "contract-certificate.pdf"
    r = httpx.get(f"{base}/v1/records/{body['id']}/certificate.pdf", timeout=60)
    r.raise_for_status()
    certificate.write_bytes(r.content)
    console.print(f"evidence certificate (存证证书): {certificate}", highlight=False)
    tampered = out_dir / "contract-altered.pdf"
    tampered.write_bytes(contract.path.read_bytes().replace(b"486,000.00", b"586,000.00"))
    trust = str(out_dir / "trust.json")
    bundle = str(out_dir / "contract.pdf.proof.json")
    check = cli("verify", bundle, "--file", str(tampered), "--trust", trust, "--json")
    failed = [c["check"] for c in json.loads(check.stdout)["checks"] if c["passed"] is False]
    caught = check.returncode == 1 and failed == ["file"]
    console.print(
        "a contract with its price changed to 586,000: "
        f"{'[green]rejected[/]' if caught else '[red]NOT rejected[/]'} "
        f"(failed: {', '.join(failed)})",
        highlight=False,
    )
    return caught
