"""The timeline page's words (api/static/timeline-words.js) name every step, kind and role of
:mod:`notary.lifecycle` in both languages, in Chinese with the lifecycle's own words, and the
page has the same keys in Chinese and English."""

from __future__ import annotations

import json
from pathlib import Path

from notary.lifecycle import KINDS, ROLE_ZH, STEP_ZH, Step
from tests.support.node import run_node

WORDS = Path(__file__).resolve().parents[3] / "api" / "static" / "timeline-words.js"


def _words() -> dict[str, dict[str, str]]:
    script = (
        f"import({json.dumps(WORDS.as_uri())}).then((m) => console.log(JSON.stringify(m.WORDS)))"
    )
    words: dict[str, dict[str, str]] = run_node("--input-type=module", "-e", script)
    return words


def test_lifecycle_words_are_the_lifecycles_own() -> None:
    words = _words()
    zh, en = words["zh"], words["en"]
    assert set(zh) == set(en)
    for kind, spec in KINDS.items():
        assert zh[f"kind.{kind}"] == spec.zh, kind
    for role, name in ROLE_ZH.items():
        assert zh[f"role.{role.value}"] == name, role
    for step in Step:
        if step is not Step.ARCHIVED:
            assert zh[f"step.{step.value}"] == STEP_ZH[step], step
    assert zh["step.archived"] == "已" + STEP_ZH[Step.ARCHIVED]
