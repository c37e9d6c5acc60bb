"""A deliberately naive CID builder, used only to test :mod:`notary.cid`.

It follows the structure of Kubo's balanced importer (boxo ``importer/balanced``) line by line: the
first leaf is the root; while data remains, a new root adopts the old one and is filled recursively
to the current depth. It holds the whole file and every node in memory.
"""

from __future__ import annotations

import base64
import hashlib

CHUNK = 262_144
MAX_LINKS = 174


def pattern(size: int, seed: int = 0) -> bytes:
    """Deterministic test content: SHA-256 of ``f"{seed}:{i}"`` for i = 0, 1, ... concatenated and
    cut to ``size`` bytes (the content of tests/vectors/cid.json)."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field_bytes(num: int, value: bytes) -> bytes:
    return _varint(num << 3 | 2) + _varint(len(value)) + value


def _field_varint(num: int, value: int) -> bytes:
    return _varint(num << 3) + _varint(value)


class _Node:
    """(cid bytes, tsize, filesize) of a built node."""

    def __init__(self, cid: bytes, tsize: int, filesize: int) -> None:
        self.cid, self.tsize, self.filesize = cid, tsize, filesize


def _cid(codec: int, block: bytes) -> bytes:
    return bytes([1, codec, 0x12, 0x20]) + hashlib.sha256(block).digest()


def _leaf(chunk: bytes) -> _Node:
    return _Node(_cid(0x55, chunk), len(chunk), len(chunk))


def _build(children: list[_Node]) -> _Node:
    links = b"".join(
        _field_bytes(2, _field_bytes(1, c.cid) + _field_bytes(2, b"") + _field_varint(3, c.tsize))
        for c in children
    )
    filesize = sum(c.filesize for c in children)
    data = _field_varint(1, 2) + _field_varint(3, filesize)
    data += b"".join(_field_varint(4, c.filesize) for c in children)
    block = links + _field_bytes(1, data)
    return _Node(_cid(0x70, block), len(block) + sum(c.tsize for c in children), filesize)


def reference_cid(data: bytes, *, chunk: int = CHUNK, max_links: int = MAX_LINKS) -> str:
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    it = iter(chunks)
    first = next(it, None)
    if first is None:
        root = _leaf(b"")
    else:
        pending = list(it)
        pending.reverse()  # pop() from the end is the next chunk
        root = _leaf(first)
        depth = 1

        def fill(children: list[_Node], depth: int) -> None:
            while len(children) < max_links and pending:
                if depth == 1:
                    children.append(_leaf(pending.pop()))
                else:
                    sub: list[_Node] = []
                    fill(sub, depth - 1)
                    children.append(_build(sub))

        while pending:
            children = [root]
            fill(children, depth)
            root = _build(children)
            depth += 1
    return "b" + base64.b32encode(root.cid).decode().lower().rstrip("=")
