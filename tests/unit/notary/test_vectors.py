"""The language-neutral vectors in tests/vectors: happy paths verify, every mutation fails."""

import json
from pathlib import Path
from typing import Any

import pytest

from notary import merkle
from notary.errors import VerificationError

VECTORS = Path(__file__).parents[2] / "vectors"


def _load(kind: str) -> list[tuple[str, dict[str, Any]]]:
    files = sorted((VECTORS / kind).rglob("*.json"))
    assert files, f"no {kind} vectors: run python -m tests.vectors.generate"
    return [(str(f.relative_to(VECTORS)), json.loads(f.read_text())) for f in files]


def _hex(value: str) -> bytes:
    try:
        return bytes.fromhex(value)
    except ValueError:
        return value.encode()  # not hex: the verifier must still refuse it cleanly


@pytest.mark.parametrize(
    ("name", "v"), _load("inclusion"), ids=lambda x: x if isinstance(x, str) else ""
)
def test_inclusion_vector(name, v):
    args = (
        _hex(v["leafHash"]),
        v["leafIdx"],
        v["treeSize"],
        [_hex(p) for p in v["proof"]],
        _hex(v["root"]),
    )
    if v["want"] == "ok":
        merkle.verify_inclusion(*args)
    else:
        with pytest.raises(VerificationError):
            merkle.verify_inclusion(*args)


@pytest.mark.parametrize(
    ("name", "v"), _load("consistency"), ids=lambda x: x if isinstance(x, str) else ""
)
def test_consistency_vector(name, v):
    args = (
        v["size1"],
        v["size2"],
        _hex(v["root1"]),
        _hex(v["root2"]),
        [_hex(p) for p in v["proof"]],
    )
    if v["want"] == "ok":
        merkle.verify_consistency(*args)
    else:
        with pytest.raises(VerificationError):
            merkle.verify_consistency(*args)
