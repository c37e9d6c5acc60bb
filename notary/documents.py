"""Reading a versioned proof document (``{"format": "…", …}``) from strangers: size, JSON, format,
then the model, every problem raised as :class:`~notary.errors.MalformedProofError` saying what is
wrong. Proof bundles and project proofs are read through :func:`parse_document`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from notary import jsonin
from notary.errors import MalformedProofError
from notary.records import first_problem

__all__ = ["parse_document"]

_M = TypeVar("_M", bound=BaseModel)


def parse_document(
    value: Mapping[str, Any] | bytes | str,
    model: type[_M],
    *,
    fmt: str,
    max_bytes: int,
    what: str,
) -> _M:
    """``value`` (a JSON object, or its text of at most ``max_bytes``) as ``model``, when its
    ``format`` is ``fmt``; ``what`` names the document in messages."""
    if isinstance(value, bytes | str):
        if len(value) > max_bytes:
            raise MalformedProofError(f"{what} is larger than {max_bytes} bytes")
        try:
            value = jsonin.loads(value, what=what)
        except (ValueError, RecursionError) as e:
            raise MalformedProofError(f"{what} is not valid JSON: {e}") from e
    if not isinstance(value, Mapping):
        raise MalformedProofError(f"a {what} must be a JSON object")
    if value.get("format") != fmt:
        raise MalformedProofError(f"not a {fmt} {what} (format {value.get('format')!r})")
    try:
        return model.model_validate(dict(value))
    except ValidationError as e:
        where, msg = first_problem(e, what)
        raise MalformedProofError(f"{where}: {msg}") from e
    except RecursionError as e:
        raise MalformedProofError(f"{what} is nested too deeply") from e
