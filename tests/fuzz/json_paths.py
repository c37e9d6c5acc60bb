"""Paths into JSON documents, for the structure-aware fuzzers (Hypothesis and atheris)."""

from __future__ import annotations

import json
from typing import Any

Path = tuple[Any, ...]


def paths(doc: Any, prefix: Path = ()) -> list[Path]:
    """Every path to a value inside a JSON document, the empty path (the whole document) first."""
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += paths(v, (*prefix, i))
    return out


def value_at(doc: Any, path: Path) -> Any:
    for step in path:
        doc = doc[step]
    return doc


def replaced(doc: Any, path: Path, value: Any) -> Any:
    """A copy of ``doc`` with the value at ``path`` replaced."""
    if not path:
        return value
    copy = json.loads(json.dumps(doc))
    value_at(copy, path[:-1])[path[-1]] = value
    return copy


def deleted(doc: Any, path: Path) -> Any:
    """A copy of ``doc`` without the value at ``path`` (the whole document cannot be deleted)."""
    if not path:
        return doc
    copy = json.loads(json.dumps(doc))
    del value_at(copy, path[:-1])[path[-1]]
    return copy
