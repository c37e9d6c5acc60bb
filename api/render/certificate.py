# ruff: noqa: RUF001, RUF002 - Chinese text uses fullwidth punctuation on purpose
"""The evidence certificate (存证证书): a one-page A4 PDF summary of a record, with a QR code.

The certificate is a convenience for people, not the evidence: what proves a record is the log, its
signed checkpoint and the chain. So the page says what was registered and when, gives every digest
needed to check it, and carries a QR code to the public verification page (``/verify?id=...``),
where anyone can check it again. Text is bilingual (Chinese first); the CJK font is embedded so the
PDF reads the same on any machine.

Rendering is deterministic: no clock is read and the PDF's metadata carries no creation time, so
the same inputs give the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCode
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from notary.chainview import Anchor
from notary.errors import CertificateError
from notary.records import Record
from notary.signing import Checkpoint

__all__ = ["FONT_CANDIDATES", "CertificateError", "find_cjk_font", "render_certificate"]

#: TrueType-outline CJK fonts from Debian's packages (reportlab cannot embed CFF-outline fonts
#: such as Noto CJK). ``scripts/setup/50-fonts.sh`` installs the first.
FONT_CANDIDATES: Final = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)

_SANS: Final = "SunlightSans"
_MONO: Final = "SunlightMono"
_INK: Final = colors.HexColor("#1a1f24")
_MUTED: Final = colors.HexColor("#4a5560")
_BRAND: Final = colors.HexColor("#0b4f8a")
_RULE: Final = colors.HexColor("#c9d3dd")
_PENDING: Final = colors.HexColor("#7a4f00")
_BEIJING: Final = timezone(timedelta(hours=8))

_STAGES: Final = {
    "application": "申请 Application",
    "review": "审核 Review",
    "notice": "公示 Public notice",
    "implementation": "实施 Construction",
    "settlement": "结算 Settlement",
}
_KINDS: Final = {
    "contract": "合同 Contract",
    "site_photo": "现场照片 Site photo",
    "acceptance_certificate": "验收单 Acceptance certificate",
    "payment_request": "付款申请 Payment request",
    "document": "文件 Document",
    "tender": "招标文件 Tender",
}


def find_cjk_font(candidates: Sequence[Path] = FONT_CANDIDATES) -> Path:
    """The first installed CJK font; raise :class:`CertificateError` saying what to install."""
    for path in candidates:
        if path.is_file():
            return path
    raise CertificateError(
        "no CJK font for certificates: install Debian's fonts-wqy-microhei "
        "(scripts/setup/50-fonts.sh) — looked for " + ", ".join(map(str, candidates))
    )


def _register_fonts() -> None:
    if _SANS in pdfmetrics.getRegisteredFontNames():
        return
    path = str(find_cjk_font())
    try:
        pdfmetrics.registerFont(TTFont(_SANS, path, subfontIndex=0))
        # WenQuanYi Micro Hei ships a monospaced face as the TTC's second font; others may not.
        try:
            mono = TTFont(_MONO, path, subfontIndex=1)
        except Exception:  # reportlab raises assorted types (TTFError, KeyError, ...)
            mono = TTFont(_MONO, path, subfontIndex=0)
        pdfmetrics.registerFont(mono)
    except Exception as e:
        raise CertificateError(f"cannot load the CJK font {path}: {e}") from e


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle(
        "base", fontName=_SANS, fontSize=9.5, leading=13, textColor=_INK, wordWrap="CJK"
    )
    return {
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontSize=28,
            leading=34,
            alignment=TA_CENTER,
            textColor=_BRAND,
            wordWrap=None,
        ),
        "subtitle": ParagraphStyle(
            "subtitle", parent=base, fontSize=12, leading=16, alignment=TA_CENTER, textColor=_MUTED
        ),
        "number": ParagraphStyle(
            "number", parent=base, fontSize=9, leading=12, alignment=TA_CENTER, textColor=_MUTED
        ),
        "intro": ParagraphStyle("intro", parent=base, fontSize=10, leading=15),
        "section": ParagraphStyle(
            "section", parent=base, fontSize=11.5, leading=15, textColor=_BRAND, spaceBefore=4
        ),
        "label": ParagraphStyle("label", parent=base, fontSize=9, leading=12, textColor=_MUTED),
        "value": base,
        "mono": ParagraphStyle(
            "mono", parent=base, fontName=_MONO, fontSize=8.4, leading=11.5, wordWrap=None
        ),
        "pending": ParagraphStyle("pending", parent=base, textColor=_PENDING),
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=12, textColor=_MUTED),
        "scan": ParagraphStyle(
            "scan", parent=base, fontSize=9, leading=12, alignment=TA_CENTER, textColor=_BRAND
        ),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _hex(text: str, style: ParagraphStyle) -> Paragraph:
    """A digest on one line (64 hex digits fit); anything longer breaks into equal halves."""
    if len(text) > 72:
        half = (len(text) + 1) // 2
        return Paragraph(escape(text[:half]) + "<br/>" + escape(text[half:]), style)
    return Paragraph(escape(text), style)


def _time(value: str) -> str:
    """``2026-11-23 00:01:03 UTC（北京时间 2026-11-23 08:01:03）`` for an RFC 3339 UTC time."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        return value
    try:
        utc = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        beijing = moment.astimezone(_BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    except OverflowError:  # e.g. 0001-01-01T00:00:00+14:00 is before year 1 in UTC
        return value
    return f"{utc} UTC（北京时间 Beijing {beijing}）"


def _size(n: int) -> str:
    exact = f"{n:,} 字节 bytes"
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= factor:
            return f"{n / factor:.1f} {unit}（{exact}）"
    return exact


def _gps(data: dict[str, Any]) -> str | None:
    gps = data.get("gps")
    if not isinstance(gps, dict):
        return None
    lat, lon = gps.get("lat"), gps.get("lon")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lat, lon)):
        return None
    accuracy = gps.get("accuracy_m")
    tail = f"（误差约 ±{accuracy} 米 / m）" if isinstance(accuracy, int | float) else ""
    return f"{lat}, {lon}{tail}"


def _decorate(canvas: Any, doc: Any) -> None:
    width, height = A4
    canvas.saveState()
    canvas.setStrokeColor(_BRAND)
    canvas.setLineWidth(2.2)
    canvas.rect(10 * mm, 10 * mm, width - 20 * mm, height - 20 * mm)
    canvas.setLineWidth(0.6)
    canvas.rect(12.5 * mm, 12.5 * mm, width - 25 * mm, height - 25 * mm)
    canvas.setFont(_SANS, 7.5)
    canvas.setFillColor(_MUTED)
    canvas.drawCentredString(
        width / 2, 19 * mm, "本证书由阳光存证系统生成。证据是公开账本与区块链上的记录，请扫码核验。"
    )
    canvas.drawCentredString(
        width / 2,
        15.5 * mm,
        "Generated by Sunlight. The evidence is the public log and the blockchain: scan to verify.",
    )
    canvas.restoreState()


def _section(
    title: str, rows: list[tuple[str, Paragraph]], s: dict[str, ParagraphStyle]
) -> list[Any]:
    table = Table(
        [[_p(label, s["label"]), value] for label, value in rows],
        colWidths=[48 * mm, 122 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), _SANS),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, _RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 2.4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.4),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return [_p(title, s["section"]), Spacer(1, 1 * mm), table, Spacer(1, 3 * mm)]


def _qr(url: str, size: float) -> QrCode:
    # Drawn straight on the canvas (the Drawing-based widget drags in an unembedded Helvetica).
    return QrCode(url, width=size, height=size, qrLevel="M", qrBorder=2)


def render_certificate(
    *,
    record_id: str,
    record: Record,
    leaf_index: int,
    leaf_hash: str,
    checkpoint: Checkpoint | None,
    anchor: Anchor | None,
    verify_url: str,
) -> bytes:
    """The certificate of one record as PDF bytes (A4, one page).

    ``checkpoint`` and ``anchor`` are those of the anchor covering the record, or None while it
    waits to be anchored (the certificate then says so). ``verify_url`` goes into the QR code.
    Raises :class:`CertificateError` when no CJK font is installed.
    """
    _register_fonts()
    s = _styles()
    story: list[Any] = [
        _p("存证证书", s["title"]),
        _p("EVIDENCE CERTIFICATE", s["subtitle"]),
        Spacer(1, 5 * mm),
        _head(record_id, verify_url, s),
        Spacer(1, 4 * mm),
        *_section("一、登记内容  Record", _record_rows(record, s), s),
        *_section("二、数字指纹  Fingerprints", _digest_rows(record, leaf_index, leaf_hash, s), s),
        *_section("三、账本快照  Log checkpoint", _snapshot_rows(checkpoint, s), s),
        *_section("四、区块链存证  Blockchain anchor", _chain_rows(anchor, s), s),
    ]
    out = io.BytesIO()
    content = record.content
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=25 * mm,
        title=f"存证证书 Evidence Certificate {record_id}",
        author="Sunlight 阳光存证",
        subject=content.sha256 if content is not None else leaf_hash,
        invariant=True,
        initialFontName=_SANS,  # no unused, unembedded Helvetica in the page resources
    )
    doc.build(story, onFirstPage=_decorate, onLaterPages=_decorate)
    return out.getvalue()


Rows = list[tuple[str, Paragraph]]


def _record_rows(record: Record, s: dict[str, ParagraphStyle]) -> Rows:
    """Section one: what was registered, by whom and when."""
    content = record.content
    rows: Rows = [
        ("项目 Project", _p(record.project or "（独立存证 standalone）", s["value"])),
        ("阶段 Stage", _p(_STAGES.get(record.stage or "", record.stage or "—"), s["value"])),
        ("资料类型 Type", _p(_KINDS.get(record.kind, record.kind), s["value"])),
    ]
    if content is not None:
        rows += [
            ("文件名 File name", _p(content.name or "—", s["value"])),
            ("文件大小 Size", _p(_size(content.size), s["value"])),
            ("文件类型 Format", _p(content.media_type, s["value"])),
        ]
    rows += [
        ("提交人 Submitted by", _p(record.submitter, s["value"])),
        ("登记时间 Registered at", _p(_time(record.received_at), s["value"])),
    ]
    if (where := _gps(record.data)) is not None:
        rows.append(("位置 GPS", _p(where, s["value"])))
    if record.signatures:
        signers = "; ".join(f"{sig.party}（{sig.alg}, {sig.key_id}）" for sig in record.signatures)
        rows.append(("签名方 Signed by", _p(signers, s["value"])))
    return rows


def _digest_rows(
    record: Record, leaf_index: int, leaf_hash: str, s: dict[str, ParagraphStyle]
) -> Rows:
    """Section two: the file's digests and the record's place in the log."""
    content = record.content
    rows: Rows = []
    if content is not None:
        rows.append(("文件指纹 SHA-256", _hex(content.sha256, s["mono"])))
        if content.sm3:
            rows.append(("文件指纹 SM3", _hex(content.sm3, s["mono"])))
        cid = _hex(content.cid, s["mono"]) if content.cid else _p("—", s["value"])
        rows.append(("内容编号 CID", cid))
    return [
        *rows,
        ("账本序号 Leaf index", _p(str(leaf_index), s["mono"])),
        ("记录指纹 Leaf hash", _hex(leaf_hash, s["mono"])),
    ]


def _pending(s: dict[str, ParagraphStyle]) -> Rows:
    return [
        ("状态 Status", _p("待上链 Pending anchoring：记录已登记，尚未写入区块链。", s["pending"]))
    ]


def _snapshot_rows(checkpoint: Checkpoint | None, s: dict[str, ParagraphStyle]) -> Rows:
    """Section three: the anchored checkpoint covering the record, or pending."""
    if checkpoint is None:
        return _pending(s)
    return [
        ("账本条数 Tree size", _p(str(checkpoint.tree_size), s["mono"])),
        ("账本根指纹 Root hash", _hex(checkpoint.root_hash, s["mono"])),
        ("快照时间 Time", _p(_time(checkpoint.timestamp), s["value"])),
    ]


def _chain_rows(anchor: Anchor | None, s: dict[str, ParagraphStyle]) -> Rows:
    """Section four: where the checkpoint is anchored on chain, or pending."""
    if anchor is None:
        return _pending(s)
    return [
        ("链编号 Chain id", _p(str(anchor.chain_id), s["mono"])),
        ("合约 Contract", _p(anchor.contract, s["mono"])),
        ("交易 Transaction", _hex(anchor.tx_hash, s["mono"])),
        ("区块 Block", _p(str(anchor.block_number), s["mono"])),
    ]


def _head(record_id: str, verify_url: str, s: dict[str, ParagraphStyle]) -> Table:
    """The certificate number and what it certifies, beside the QR code to verify it."""
    qr_size = 34 * mm
    scan = [
        _qr(verify_url, qr_size),
        _p("扫码核验 Scan to verify", s["scan"]),
    ]
    intro = [
        _p(f"证书编号 Certificate No.\n{record_id}", s["label"]),
        Spacer(1, 2.5 * mm),
        _p(
            "兹证明：下列电子资料已登记于阳光存证公开账本，它的数字指纹记录如下。"
            "资料只要改动一个字，指纹就会不同。",
            s["intro"],
        ),
        Spacer(1, 1.5 * mm),
        _p(
            "This certifies that the electronic record below is registered in the Sunlight "
            "public log with the digital fingerprints shown; any change to it changes them.",
            s["intro"],
        ),
        Spacer(1, 2.5 * mm),
        _p(
            "核验：用手机扫描右侧二维码，或打开 Verify at: " + verify_url,
            s["small"],
        ),
    ]
    head = Table([[intro, scan]], colWidths=[170 * mm - qr_size - 8 * mm, qr_size + 8 * mm])
    head.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), _SANS),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (1, 0), (1, 0), "CENTER"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return head
