"""RFC 8785 (JCS) canonical JSON: the one encoding every entry, receipt and signed payload uses.

The reference is the ``rfc8785`` package. It is pure Python and writes byte by byte, so values
that provably encode alike take a fast path instead: ``orjson`` with sorted keys, which writes no
whitespace and no ASCII escaping. The two agree on exactly what :func:`_plain` admits and orjson
then writes without an error:

- ``None``, ``bool`` and ``str`` (both escape ``"``, ``\\``, ``\\b \\f \\n \\r \\t`` by letter
  and every other code point below U+0020 as ``\\u00xx`` in lower case, and write the rest, U+007F
  and U+2028/2029 included, as UTF-8; text UTF-8 cannot encode, a lone surrogate, is an error to
  orjson and so takes the reference path, which refuses it);
- ``int`` within ±(2**53 - 1), which both write in decimal (outside it the reference refuses);
- ``float`` of magnitude below 1e16, where orjson writes, as ``repr`` does, the shortest
  round-trip decimal in plain notation — the digits ECMAScript's Number-to-String picks, and the
  notation JCS writes too — but for the ``.0`` it puts after an integral value: those (zero
  included) are handed over as the ``int`` they equal, which it writes as JCS does. Below 1e-4,
  orjson turns to an exponent while JCS stays plain down to 1e-6: those, like the larger ones, NaN
  and the infinities, take the reference path;
- ``list`` and ``dict`` of those, with keys of type ``str`` exactly (others are an error to
  orjson) none of which holds a code point above U+FFFF: JCS sorts keys by UTF-16 code units and
  orjson by code points, which is the same order within the Basic Multilingual Plane (a surrogate
  pair, D800-DFFF as code units, sorts before U+E000-U+FFFF in UTF-16 but after them by code
  point). Such a code point shows in the encoding as a four-byte UTF-8 sequence: only an encoding
  holding one has its keys looked at.

Exact types only: a subclass (an enum, say), a tuple or anything nested deeper than
:data:`_MAX_DEPTH` takes the reference path. ``tests/unit/notary/test_jcs.py`` checks the two
paths byte for byte on generated values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import orjson
import rfc8785

from notary.errors import RecordError

__all__ = ["canonical_json"]

_MAX_SAFE = 2**53 - 1
#: Deeper values (none a record may hold) take the reference path, which decides what they are.
_MAX_DEPTH = 64
#: A key holding one of these sorts differently by UTF-16 code units than by code points.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
#: The lead bytes of UTF-8's four-byte sequences: code points above U+FFFF.
_ASTRAL_LEADS = (0xF0, 0xF1, 0xF2, 0xF3, 0xF4)
_TEXT_AND_CONSTANTS = frozenset({str, bool, type(None)})
#: The magnitudes of the floats orjson writes as JCS does (but for an integral one's ``.0``).
_PLAIN_FLOATS_FROM, _PLAIN_FLOATS_BELOW = 1e-4, 1e16
#: What :func:`_plain` answers for a value only the reference encodes as JCS does.
_REFERENCE: Any = object()


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical JSON of ``value``. Raises RecordError for values JSON cannot carry exactly."""
    plain = _plain(value, 0)
    if plain is not _REFERENCE:
        try:
            encoded = orjson.dumps(plain, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # a lone surrogate, a key not str: the reference says what it is
            pass
        else:
            if not any(map(encoded.__contains__, _ASTRAL_LEADS)) or not _astral_key(plain):
                return encoded
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as e:
        raise RecordError(f"cannot be canonicalised: {e}") from e


def _plain(value: Any, depth: int) -> Any:
    """``value`` as orjson writes it exactly as RFC 8785 does (itself, or a copy with
    integral floats as ints), or :data:`_REFERENCE` when it cannot (see the module)."""
    kind = type(value)
    if kind in _TEXT_AND_CONSTANTS:
        return value
    if kind is int:
        return value if -_MAX_SAFE <= value <= _MAX_SAFE else _REFERENCE
    if kind is float:
        if not _PLAIN_FLOATS_FROM <= abs(value) < _PLAIN_FLOATS_BELOW:  # infinities and NaN too
            return 0 if value == 0 else _REFERENCE
        return int(value) if value.is_integer() else value
    if depth >= _MAX_DEPTH:
        return _REFERENCE
    if kind is dict:
        slots: Iterable[tuple[Any, Any]] = value.items()
    elif kind is list:
        slots = enumerate(value)
    else:
        return _REFERENCE
    copy = None
    for slot, item in slots:
        t = type(item)
        if t in _TEXT_AND_CONSTANTS:  # most of any record: no call for them
            continue
        if t is int and -_MAX_SAFE <= item <= _MAX_SAFE:  # nor for these, as _plain says
            continue
        if (
            t is float
            and _PLAIN_FLOATS_FROM <= abs(item) < _PLAIN_FLOATS_BELOW
            and not item.is_integer()
        ):
            continue
        plain = _plain(item, depth + 1)
        if plain is _REFERENCE:
            return _REFERENCE
        if plain is not item:
            if copy is None:
                copy = kind(value)
            copy[slot] = plain
    return value if copy is None else copy


def _astral_key(value: Any) -> bool:
    """Whether an object in ``value`` (as :func:`_plain` admits it) has a key holding a code
    point above U+FFFF."""
    if type(value) is dict:
        return _ASTRAL.search("".join(value)) is not None or any(map(_astral_key, value.values()))
    return type(value) is list and any(map(_astral_key, value))
