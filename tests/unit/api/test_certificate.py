"""The evidence certificate, read back as a person's tools read it: text, fonts, the QR code."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from api.render.certificate import (
    FONT_CANDIDATES,
    CertificateError,
    find_cjk_font,
    render_certificate,
)
from notary.chainview import Anchor
from notary.records import Content, Record
from notary.signing import NotaryKey
from tests.conftest import require

RECORD_ID = "01a20c0321523fc042d1a26122c11081"
VERIFY_URL = f"https://sunlight.example.org/verify?id={RECORD_ID}"
SHA256 = "3442bf5d2849642c9ed6e38d1887b7c5b0df5a45ecafc670d3acdc1f6d3d6af2"
SM3 = "cd" * 32
TX = "0x" + "5f" * 32


def _record() -> Record:
    return Record(
        project="XQ-2026-0042",
        stage="implementation",
        kind="site_photo",
        content=Content(
            sha256=SHA256,
            sm3=SM3,
            size=48213,
            media_type="image/jpeg",
            cid="bafkreibuik7v2kcjmqwj5vxdrumipn6fwdpvurpmv7dhbu5m3qpw2plk6i",
            name="北侧涵洞-north-culvert.jpg",
        ),
        data={"gps": {"lat": 30.27, "lon": 120.15, "accuracy_m": 8}},
        submitter="qingshi-town",
        received_at="2026-11-23T00:01:03.123456Z",
    )


def _render(*, anchored: bool) -> bytes:
    key = NotaryKey.from_seed(b"\x01" * 32)
    return render_certificate(
        record_id=RECORD_ID,
        record=_record(),
        leaf_index=4,
        leaf_hash="ef" * 32,
        checkpoint=key.sign_checkpoint(12, bytes(range(32)), "2026-11-23T00:05:00Z")
        if anchored
        else None,
        anchor=Anchor(
            chain_id=1337,
            contract="0x79c81B2D2A741FAec9FB648c2a543614c148C8B4",
            tx_hash=TX,
            block_number=12,
            block_hash="0x" + "11" * 32,
        )
        if anchored
        else None,
        verify_url=VERIFY_URL,
    )


def _tool(name: str) -> str:
    path = shutil.which(name)
    require(path is not None, f"{name} (scripts/setup/50-fonts.sh)")
    assert path is not None
    return path


@pytest.fixture(scope="module")
def font() -> Path:
    present = any(p.is_file() for p in FONT_CANDIDATES)
    require(present, "a CJK font (scripts/setup/50-fonts.sh)")
    return find_cjk_font()


@pytest.fixture
def anchored_pdf(font: Path, tmp_path: Path) -> Path:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(_render(anchored=True))
    return path


def _text(pdf: Path) -> str:
    out = subprocess.run(
        [_tool("pdftotext"), "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def test_a4_one_page_with_the_chinese_title_and_every_digest(anchored_pdf: Path) -> None:
    info = subprocess.run(
        [_tool("pdfinfo"), str(anchored_pdf)], capture_output=True, text=True, check=True
    ).stdout
    assert "Pages:           1" in info
    assert "595.276 x 841.89 pts (A4)" in info
    text = _text(anchored_pdf)
    for expected in [
        "存证证书",
        "Evidence Certificate".upper(),
        RECORD_ID,
        SHA256,
        SM3,
        "ef" * 32,
        "XQ-2026-0042",
        "北侧涵洞-north-culvert.jpg",
        "现场照片",
        "实施",
        "qingshi-town",
        "2026-11-23 00:01:03 UTC",
        "北京时间",
        "30.27, 120.15",
        bytes(range(32)).hex(),
        TX,
        "1337",
    ]:
        assert expected in text, expected
    assert "待上链" not in text


def test_pending_record_says_pending_anchoring(font: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "pending.pdf"
    pdf.write_bytes(_render(anchored=False))
    text = _text(pdf)
    assert "待上链" in text
    assert "Pending anchoring" in text
    assert SHA256 in text


def test_every_font_is_embedded(anchored_pdf: Path) -> None:
    out = subprocess.run(
        [_tool("pdffonts"), str(anchored_pdf)], capture_output=True, text=True, check=True
    ).stdout
    rows = out.splitlines()[2:]
    assert rows, out
    assert any("WenQuanYi" in r for r in rows), out
    for row in rows:
        # columns: name type encoding emb sub uni object ID
        assert row.split()[-5] == "yes", f"font not embedded: {row}"


def test_the_qr_code_decodes_to_the_verify_url(anchored_pdf: Path, tmp_path: Path) -> None:
    subprocess.run(
        [_tool("pdftoppm"), "-r", "150", "-png", str(anchored_pdf), str(tmp_path / "page")],
        check=True,
    )
    (png,) = tmp_path.glob("page*.png")
    decoded = subprocess.run(
        [_tool("zbarimg"), "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert decoded.stdout.strip().splitlines() == [VERIFY_URL], decoded.stderr


def test_rendering_is_deterministic(font: Path) -> None:
    assert _render(anchored=True) == _render(anchored=True)


def test_a_missing_font_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CertificateError, match="fonts-wqy-microhei"):
        find_cjk_font([tmp_path / "none.ttc"])
