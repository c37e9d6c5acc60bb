"""``sunlight demo``: the main job on the embedded defaults, end to end, printing what it proved."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

from rich.console import Console

from api.audit import audit_log
from api.service import Notary
from api.settings import Settings
from notary.bundle import parse_bundle, verify_bundle
from notary.digests import digest_stream

PROJECT = "DEMO-2026-0001"


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A small valid PNG of one colour (a stand-in site photo)."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _samples(folder: Path) -> list[tuple[Path, str, str]]:
    folder.mkdir(parents=True, exist_ok=True)
    files = [
        (
            "contract.txt",
            "施工合同 / Construction contract\n项目: 村道硬化 (village road paving), 1.2 km\n"
            "甲方: 青石镇人民政府  乙方: 青石路桥有限公司\n合同金额: 486,000.00 元\n",
            "implementation",
        ),
        (
            "acceptance.json",
            json.dumps(
                {"project": PROJECT, "result": "accepted", "signed_by": ["township", "supervisor"]},
                ensure_ascii=False,
                indent=2,
            ),
            "settlement",
        ),
    ]
    out = []
    for name, text, stage in files:
        path = folder / name
        path.write_text(text, encoding="utf-8")
        out.append(
            (path, stage, "contract" if name.startswith("contract") else "acceptance_certificate")
        )
    photo = folder / "north-culvert.png"
    photo.write_bytes(_png(64, 48, (90, 140, 60)))
    out.append((photo, "implementation", "site_photo"))
    return out


def run_demo(settings: Settings, console: Console) -> None:
    console.rule("Sunlight demo")
    console.print(f"data directory: {settings.data_dir.resolve()}")
    notary = Notary.open(settings)
    try:
        samples = _samples(settings.data_dir / "demo" / "files")
        accepted = []
        for path, stage, kind in samples:
            a = notary.stamp_file(path, submitter="demo", project=PROJECT, stage=stage, kind=kind)
            accepted.append((path, a))
            console.print(
                f"stamped [bold]{path.name}[/] → leaf {a.entry.index}, receipt signed by log "
                f"{a.receipt.log_id[:16]}…",
                highlight=False,
            )
        cp = notary.publish_checkpoint()
        console.print(
            f"checkpoint: {cp.tree_size} entries, root {cp.root_hash[:16]}…", highlight=False
        )
        bundles_dir = settings.data_dir / "demo" / "bundles"
        bundles_dir.mkdir(parents=True, exist_ok=True)
        all_ok = True
        for path, a in accepted:
            bundle_path = bundles_dir / f"{path.name}.proof.json"
            bundle_path.write_text(json.dumps(notary.bundle(a.record_id, checkpoint=cp).to_json()))
            with path.open("rb") as f:
                digest = digest_stream(f, sm3=settings.sm3)
            report = verify_bundle(parse_bundle(bundle_path.read_bytes()), file_digest=digest)
            all_ok &= report.verified
            passed = ", ".join(c.name for c in report.checks if c.passed)
            console.print(
                f"verified [bold]{path.name}[/]: "
                + ("[green]VERIFIED[/]" if report.verified else "[red]NOT VERIFIED[/]")
                + f" ({passed}); bundle {bundle_path}",
                highlight=False,
            )
        # Show that a changed file is caught.
        tampered = samples[0][0].read_bytes().replace(b"486,000.00", b"586,000.00")
        import io  # noqa: PLC0415

        report = verify_bundle(
            parse_bundle((bundles_dir / f"{samples[0][0].name}.proof.json").read_bytes()),
            file_digest=digest_stream(io.BytesIO(tampered)),
        )
        failed = ", ".join(f"{c.name}: {c.detail}" for c in report.failed())
        console.print(
            f"a contract with its amount changed: [red]rejected[/] ({failed})", highlight=False
        )
        all_ok &= not report.verified
        audit = audit_log(notary.log, public_key=notary.key.public_key)
        console.print(
            f"audit: {audit.entries} entries recomputed, "
            + ("[green]no tampering[/]" if audit.ok else f"[red]{len(audit.findings)} findings[/]")
        )
        all_ok &= audit.ok
    finally:
        notary.close()
    if not all_ok:
        raise SystemExit(1)
    console.print("[bold green]demo complete: every record proved and verified[/]")
