"""IPFS content identifiers computed exactly as Kubo's ``ipfs add --cid-version=1`` does.

The import parameters are Kubo's defaults for CIDv1 (and the ones :mod:`api.storage.blobs` passes to the
node explicitly):

* the file is cut into fixed chunks of :data:`CHUNK_SIZE` (256 KiB); the last one may be short;
* every chunk is a *raw leaf*: a block of codec ``raw`` (0x55) whose bytes are the chunk itself;
* a file of one chunk (any file of at most 256 KiB, and the empty file, which is one empty chunk) is
  just that leaf: its CID is the raw leaf's CID;
* otherwise leaves are gathered under ``dag-pb`` (0x70) nodes carrying UnixFS ``File`` data, at most
  :data:`MAX_LINKS` (174) links per node, in Kubo's *balanced* layout: every level is filled left to
  right and the tree is as shallow as possible (depth ``d`` is the least with ``174**d >= leaves``);
* every hash is sha2-256; CIDs are written as multibase base32 lower case (prefix ``b``).

The computation streams: only the current partial chunk and one list of pending links per tree
level (at most 174 entries each) are kept, so memory does not grow with the file size. Each 256 KiB
chunk is hashed by one ``hashlib`` call, so the cost is that of SHA-256 over the data plus a few
microseconds of Python per chunk.

The format is specified byte for byte in ``docs/blobs.md``; ``tests/vectors/cid.json`` holds CIDs
that a real Kubo node returned.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import BinaryIO, Final

from notary.errors import InvalidCidError

__all__ = [
    "CHUNK_SIZE",
    "CODEC_DAG_PB",
    "CODEC_RAW",
    "MAX_LINKS",
    "CidHasher",
    "cid_of",
    "encode_cid",
    "parse_cid",
    "raw_leaf_cid",
]

#: Kubo's default fixed chunker, ``size-262144``.
CHUNK_SIZE: Final = 262_144
#: Kubo's default maximum number of links of a UnixFS file node (``Import.UnixFSFileMaxLinks``).
MAX_LINKS: Final = 174

CODEC_RAW: Final = 0x55
CODEC_DAG_PB: Final = 0x70
_SHA2_256: Final = 0x12
_CID_V1: Final = 0x01
_UNIXFS_FILE: Final = 2

#: Bytes of a CIDv1 string that this module accepts (a sha2-256 CIDv1 is 59 characters).
_MAX_CID_CHARS: Final = 100
#: Read size of :func:`cid_of`: a whole number of chunks, large enough to make reads cheap.
_READ_SIZE: Final = 16 * CHUNK_SIZE


def _varint(n: int) -> bytes:
    """Unsigned LEB128, as used by protobuf and multiformats. Requires ``n >= 0``."""
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    """Decode an unsigned varint at ``pos``; returns (value, next position)."""
    value = 0
    shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise InvalidCidError("truncated or overlong varint in CID")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _cid_bytes(codec: int, sha256_digest: bytes) -> bytes:
    return bytes((_CID_V1, codec, _SHA2_256, 32)) + sha256_digest


def _cid_string(cid_bytes: bytes) -> str:
    return "b" + base64.b32encode(cid_bytes).decode("ascii").lower().rstrip("=")


def encode_cid(codec: int, sha256_digest: bytes) -> str:
    """The base32 CIDv1 string of a block with ``codec`` whose sha2-256 digest is ``sha256_digest``.

    Requires ``codec`` to be :data:`CODEC_RAW` or :data:`CODEC_DAG_PB` and a 32-byte digest.
    """
    if codec not in (CODEC_RAW, CODEC_DAG_PB) or len(sha256_digest) != 32:
        raise InvalidCidError("only raw or dag-pb CIDs with a 32-byte sha2-256 digest are allowed")
    return _cid_string(_cid_bytes(codec, sha256_digest))


def raw_leaf_cid(block: bytes) -> str:
    """The CID of a single raw block (what Kubo returns for a file of at most 256 KiB)."""
    return _cid_string(_cid_bytes(CODEC_RAW, hashlib.sha256(block).digest()))


@dataclass(frozen=True, slots=True)
class ParsedCid:
    codec: int
    digest: bytes


def parse_cid(text: str) -> ParsedCid:
    """Check that ``text`` is a CID this module produces (CIDv1, base32 lower, raw or dag-pb,
    sha2-256) and return its parts. Anything else raises :class:`InvalidCidError`.

    Stores use the CID as a file name, so this is also the guard against path tricks.
    """
    if not isinstance(text, str) or not 2 <= len(text) <= _MAX_CID_CHARS or text[0] != "b":
        raise InvalidCidError(f"not a base32 CIDv1: {text!r:.120}")
    body = text[1:]
    if body != body.lower() or not body.isascii() or not body.isalnum():
        raise InvalidCidError(f"not a base32 CIDv1: {text!r:.120}")
    try:
        raw = base64.b32decode(body.upper() + "=" * (-len(body) % 8))
    except ValueError as exc:
        raise InvalidCidError(f"not a base32 CIDv1: {text!r:.120}") from exc
    version, pos = _read_varint(raw, 0)
    codec, pos = _read_varint(raw, pos)
    hash_fn, pos = _read_varint(raw, pos)
    length, pos = _read_varint(raw, pos)
    if version != _CID_V1 or hash_fn != _SHA2_256 or length != 32 or len(raw) - pos != 32:
        raise InvalidCidError(f"not a sha2-256 CIDv1: {text!r:.120}")
    if codec not in (CODEC_RAW, CODEC_DAG_PB):
        raise InvalidCidError(f"unsupported CID codec 0x{codec:x}: {text!r:.120}")
    if _cid_string(raw) != text:  # non-canonical padding bits
        raise InvalidCidError(f"non-canonical CID encoding: {text!r:.120}")
    return ParsedCid(codec=codec, digest=raw[pos:])


@dataclass(frozen=True, slots=True)
class _Link:
    cid: bytes  # binary CID
    tsize: int  # cumulative bytes of the linked block and everything under it
    filesize: int  # file bytes under the link


# Protobuf keys (field number << 3 | wire type), pre-encoded.
_PB_LINK_HASH: Final = b"\x0a"  # PBLink.Hash, field 1, bytes
_PB_LINK_NAME_EMPTY: Final = b"\x12\x00"  # PBLink.Name, field 2, always present, ""
_PB_LINK_TSIZE: Final = b"\x18"  # PBLink.Tsize, field 3, varint
_PB_NODE_LINKS: Final = b"\x12"  # PBNode.Links, field 2
_PB_NODE_DATA: Final = b"\x0a"  # PBNode.Data, field 1
_FS_TYPE_FILE: Final = b"\x08" + bytes((_UNIXFS_FILE,))  # Data.Type = File
_FS_FILESIZE: Final = b"\x18"  # Data.filesize, field 3
_FS_BLOCKSIZE: Final = b"\x20"  # Data.blocksizes, field 4, repeated, not packed


def _file_node(links: list[_Link]) -> _Link:
    """Encode a dag-pb UnixFS File node over ``links``; return the link that points to it."""
    out = bytearray()
    for link in links:
        body = (
            _PB_LINK_HASH
            + _varint(len(link.cid))
            + link.cid
            + _PB_LINK_NAME_EMPTY
            + _PB_LINK_TSIZE
            + _varint(link.tsize)
        )
        out += _PB_NODE_LINKS + _varint(len(body)) + body
    filesize = sum(link.filesize for link in links)
    data = bytearray(_FS_TYPE_FILE + _FS_FILESIZE + _varint(filesize))
    for link in links:
        data += _FS_BLOCKSIZE + _varint(link.filesize)
    out += _PB_NODE_DATA + _varint(len(data)) + data
    block = bytes(out)
    return _Link(
        cid=_cid_bytes(CODEC_DAG_PB, hashlib.sha256(block).digest()),
        tsize=len(block) + sum(link.tsize for link in links),
        filesize=filesize,
    )


class CidHasher:
    """Incremental :func:`cid_of`: feed bytes with :meth:`update`, read the CID with :meth:`digest`.

    Pieces may have any size; the hasher cuts them into 256 KiB chunks itself. Memory is bounded by
    one partial chunk plus at most 174 pending links per tree level. :meth:`digest` may be called
    again (it returns the same CID) but no :meth:`update` may follow it.

    ``chunk_size`` and ``max_links`` match Kubo's ``--chunker=size-N`` and
    ``Import.UnixFSFileMaxLinks``; keep the defaults for Sunlight's blob addresses (other values are
    for tests that build deep trees from little data).
    """

    def __init__(self, *, chunk_size: int = CHUNK_SIZE, max_links: int = MAX_LINKS) -> None:
        if chunk_size < 1 or max_links < 2:
            raise ValueError("chunk_size must be >= 1 and max_links >= 2")
        self._chunk_size = chunk_size
        self._max_links = max_links
        self._partial = bytearray()
        #: ``_levels[h]`` holds the links not yet gathered under a node of height ``h + 1``.
        self._levels: list[list[_Link]] = [[]]
        self._size = 0
        self._leaves = 0
        self._done: str | None = None

    @property
    def size(self) -> int:
        """Bytes fed so far."""
        return self._size

    def update(self, data: bytes | bytearray | memoryview) -> None:
        if self._done is not None:
            raise RuntimeError("CidHasher.update() after digest()")
        view = memoryview(data).cast("B")
        chunk = self._chunk_size
        self._size += len(view)
        pos = 0
        if self._partial:
            take = min(chunk - len(self._partial), len(view))
            self._partial += view[:take]
            pos = take
            if len(self._partial) < chunk:
                return
            self._leaf(self._partial)
            self._partial = bytearray()
        end = len(view)
        while end - pos >= chunk:
            self._leaf(view[pos : pos + chunk])
            pos += chunk
        if pos < end:
            self._partial += view[pos:]

    def _leaf(self, chunk: bytes | bytearray | memoryview) -> None:
        self._leaves += 1
        self._push(
            0, _Link(_cid_bytes(CODEC_RAW, hashlib.sha256(chunk).digest()), len(chunk), len(chunk))
        )

    def _push(self, height: int, link: _Link) -> None:
        level = self._levels[height]
        level.append(link)
        if len(level) == self._max_links:
            # A full node: it can only ever be a complete subtree, emit it now.
            if height + 1 == len(self._levels):
                self._levels.append([])
            self._levels[height] = []
            self._push(height + 1, _file_node(level))

    def digest(self) -> str:
        """The CIDv1 (base32) of everything fed so far, as Kubo's ``ipfs add`` would return it."""
        if self._done is not None:
            return self._done
        if self._partial or self._leaves == 0:
            # The empty file is one empty raw leaf.
            self._leaf(self._partial)
            self._partial = bytearray()
        levels = self._levels
        root: _Link | None = None
        for height, pending in enumerate(levels):
            above = any(levels[height + 1 :])
            if not above and len(pending) == 1:
                root = pending[0]
                break
            if pending:
                if height + 1 == len(levels):
                    levels.append([])
                levels[height + 1].append(_file_node(pending))
                levels[height] = []
        assert root is not None  # the loop always ends on a level holding exactly one link
        self._levels = [[]]
        self._done = _cid_string(root.cid)
        return self._done


def cid_of(data: bytes | bytearray | memoryview | BinaryIO) -> str:
    """The CIDv1 that ``ipfs add --cid-version=1`` gives for ``data`` (bytes or a binary stream).

    A stream is read to its end in large pieces and never held whole in memory.
    """
    hasher = CidHasher()
    if isinstance(data, bytes | bytearray | memoryview):
        hasher.update(data)
        return hasher.digest()
    buf = bytearray(_READ_SIZE)
    view = memoryview(buf)
    readinto = getattr(data, "readinto", None)
    if readinto is not None:
        while n := readinto(view):
            hasher.update(view[:n])
    else:
        while chunk := data.read(_READ_SIZE):
            hasher.update(chunk)
    return hasher.digest()
