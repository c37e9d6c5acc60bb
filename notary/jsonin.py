"""Reading JSON from strangers: the one reader for every document Sunlight accepts (request bodies,
the ``meta`` form field of a record, proof bundles, files given to the CLI).

``json.loads`` alone is not enough for such input:

- it recurses once per nesting level, in C: 100 000 ``[`` overflow the C stack and kill the process
  once a dependency has raised the recursion limit (py_ecc raises it to 100 000 when imported);
- of duplicate keys it keeps the last, so two readers of one document can see two different records
  (I-JSON, RFC 7493, forbids duplicates);
- it reads ``NaN`` and ``Infinity``, which are not JSON, turns ``1e999`` into infinity, and fails
  on an integer of over 4300 digits with a bare ValueError;
- it reads ``"\\ud800"`` into text that cannot be written back as UTF-8.

:func:`loads` refuses each of these with :class:`~notary.errors.InvalidJSONError`, saying what is
wrong and the limit. The depth is measured by a linear scan *before* ``json.loads`` runs, so no input
reaches deep recursion, whatever the recursion limit is.
"""

from __future__ import annotations

import json
import math
from itertools import accumulate
from typing import Any

from notary.errors import InvalidJSONError

__all__ = ["MAX_DEPTH", "MAX_NUMBER_CHARS", "loads"]

#: Far more than any document Sunlight reads needs (a bundle's record data sits at depth 3) and far
#: below any recursion limit.
MAX_DEPTH = 64
#: A number is at most this many characters long (sign, digits, point and exponent included).
MAX_NUMBER_CHARS = 64

#: Deleting these bytes leaves the brackets; a bracket opens (+1) or closes (-1).
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


def loads(data: bytes | str, *, what: str = "document", max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value in ``data`` (bytes are UTF-8; a leading byte order mark is skipped).

    Raises :class:`InvalidJSONError`, with ``what`` naming the document in its message, when
    ``data`` is not JSON or is JSON that Sunlight does not read:

    - nested deeper than ``max_depth``. A document's depth is the most arrays and objects open at
      once: a value inside k of them is at depth k. ``1`` and ``"["`` have depth 0, ``[]`` and
      ``{"a": 1}`` depth 1, ``[[]]`` and ``{"a": [1]}`` depth 2;
    - an object with a duplicate key, at any depth;
    - ``NaN``, ``Infinity`` or ``-Infinity``; a number written with more than
      :data:`MAX_NUMBER_CHARS` characters; a number too large for a double (``1e999``);
    - text that is not valid Unicode, such as a lone surrogate (``"\\ud800"``).

    Requires ``max_depth`` far below the recursion limit (the default, 64, is).
    """
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError as e:
        raise InvalidJSONError(f"{what} is not UTF-8: {e.reason} at byte {e.start}") from e
    _check_depth(text, max_depth, what)
    try:
        doc = _decoder(what).decode(text)
    except json.JSONDecodeError as e:
        raise InvalidJSONError(f"{what} is not JSON: {e}") from e
    if "\\u" in text or not isinstance(data, bytes):  # UTF-8 bytes hold no surrogate, escapes may
        try:
            json.dumps(doc, ensure_ascii=False).encode()
        except UnicodeEncodeError as e:
            raise InvalidJSONError(
                f"{what} holds text that is not valid Unicode (a lone surrogate such as \\ud800)"
            ) from e
    return doc


def _check_depth(text: str, max_depth: int, what: str) -> None:
    """Refuse ``text`` if its brackets outside strings nest deeper than ``max_depth``.

    Linear and not recursive. Escapes go first: left to right, every ``\\\\`` is an escaped backslash,
    and of what remains every ``\\"`` an escaped quote. The quotes left delimit the strings, so the
    even pieces between them are outside strings (an unterminated last string is dropped whole).
    Over the part of the text that is valid JSON this count is exactly the parser's nesting, so it
    bounds how deep ``json.loads`` recurses (the parser stops at the first invalid character).
    """
    plain = text.replace("\\\\", "").replace('\\"', "")
    outside = "".join(plain.split('"')[::2])
    brackets = outside.encode("utf-8", "surrogatepass").translate(None, _NOT_BRACKETS)
    if len(brackets) > max_depth and max(accumulate(map(_STEP.__getitem__, brackets))) > max_depth:
        raise InvalidJSONError(f"{what} is nested deeper than {max_depth} levels")


def _decoder(what: str) -> json.JSONDecoder:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(items)
        if len(obj) != len(items):
            seen: set[str] = set()
            for key, _ in items:
                if key in seen:
                    raise InvalidJSONError(f"duplicate key {_shown(key)} in {what}")
                seen.add(key)
        return obj

    def constant(name: str) -> Any:
        raise InvalidJSONError(f"{name} in {what} is not a JSON number")

    def integer(digits: str) -> int:
        _check_length(digits, what)
        return int(digits)

    def real(digits: str) -> float:
        _check_length(digits, what)
        value = float(digits)
        if not math.isfinite(value):
            raise InvalidJSONError(f"number {digits} in {what} is too large for a double")
        return value

    return json.JSONDecoder(
        object_pairs_hook=pairs, parse_constant=constant, parse_int=integer, parse_float=real
    )


def _check_length(number: str, what: str) -> None:
    if len(number) > MAX_NUMBER_CHARS:
        raise InvalidJSONError(
            f"number {number[:16]}… in {what} is longer than {MAX_NUMBER_CHARS} characters"
        )


def _shown(key: str) -> str:
    return repr(key) if len(key) <= 40 else repr(key[:40]) + "…"
