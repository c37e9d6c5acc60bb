"""The lifecycle vectors in tests/vectors/lifecycle, run against the code.

The matrix's expectations are written from a declarative spec in the generator, not from
``notary.lifecycle.KINDS``: if the code's table drifts (a kind accepted in another step, a role
added or dropped, a side changed), a cell differs here.
"""

import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from notary.lifecycle import (
    DEFAULT_RULES,
    KINDS,
    Actor,
    LifecycleRefusal,
    ProjectState,
    Proposal,
    Role,
    Step,
    decide,
    load_rules,
    replay,
)
from notary.records import parse_record
from tests.vectors import generate_lifecycle as gen

VECTORS = Path(__file__).parents[3] / "vectors"
LIFECYCLE = VECTORS / "lifecycle"


def _load(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((LIFECYCLE / name).read_text(encoding="utf-8"))
    return doc


def test_the_committed_vectors_are_what_the_generator_writes():
    want = gen.vectors()
    have = {
        str(f.relative_to(VECTORS)): f.read_text(encoding="utf-8")
        for f in sorted(LIFECYCLE.rglob("*.json"))
    }
    assert sorted(have) == sorted(want), "run python -m tests.vectors.generate_lifecycle"
    for path, text in want.items():
        assert have[path] == text, f"{path} differs: run python -m tests.vectors.generate_lifecycle"


def test_the_happy_path_replays_step_by_step():
    v = _load("happy-path.json")
    records = [parse_record(r) for r in v["records"]]
    state = ProjectState()
    for record, want in zip(records, v["want"], strict=True):
        t = decide(
            state,
            Proposal.of_logged(record),
            Actor(
                person=record.submitter,
                organisation=record.data["actor"]["organisation"],
                roles=frozenset({Role(record.data["actor"]["role"])}),
            ),
            datetime.fromisoformat(record.received_at),
        )
        assert (t.state.step.value, list(t.events)) == (want["step"], want["events"]), record.kind
        state = t.state
    assert state.step is Step.ARCHIVED
    assert replay(records) == state


def _matrix_cells() -> list[tuple[str, str, str]]:
    v = _load("matrix.json")
    return [
        (k, s, a) for k, steps in v["want"].items() for s, actors in steps.items() for a in actors
    ]


def test_the_matrix_covers_every_kind_role_and_step():
    v = _load("matrix.json")
    assert sorted(v["want"]) == sorted(KINDS)
    assert {s for steps in v["want"].values() for s in steps} == {"unregistered", *Step}
    assert {Role(a.split("/")[0]) for a in v["actors"]} == set(Role)
    assert len(_matrix_cells()) == len(KINDS) * (len(Step) + 1) * len(Role) * 2


def _outcome(state: ProjectState, step: str, kind: str, who: Actor, v: dict[str, Any]) -> str:
    role = min(who.roles)
    proposal = Proposal(
        project="XQ-2026-0042",
        stage="application" if step == "unregistered" else Step(step).stage,
        kind=kind,
        data={
            **v["proposals"][kind]["data"],
            "actor": {"organisation": who.organisation, "role": role.value},
        },
        signers=tuple(
            Actor.model_validate(v["actors"][n]) for n in v["proposals"][kind]["signers"]
        ),
    )
    at = datetime.fromisoformat(v["steps"][step]["after"]) + timedelta(days=1)
    try:
        decide(state, proposal, who, at, DEFAULT_RULES)
    except LifecycleRefusal as e:
        return e.rule
    return "ok"


def test_every_cell_of_the_matrix() -> None:
    v = _load("matrix.json")
    records = [parse_record(r) for r in v["records"]]
    states = {step: replay(records[: s["prefix"]]) for step, s in v["steps"].items()}
    for step, state in states.items():
        assert state.step.value == (step if step != "unregistered" else "application")
    actors = {name: Actor.model_validate(a) for name, a in v["actors"].items()}
    wrong = []
    for kind, steps in v["want"].items():
        for step, cells in steps.items():
            for name, want in cells.items():
                have = _outcome(states[step], step, kind, actors[name], v)
                if have != want:
                    wrong.append(f"{kind} in {step} by {name}: want {want}, decide gives {have}")
    assert not wrong, "\n".join(wrong)
    outcomes = {
        w for steps in v["want"].values() for cells in steps.values() for w in cells.values()
    }
    assert {"ok", "step.kind_not_allowed", "role.not_permitted", "powers.not_held"} <= outcomes


@pytest.mark.parametrize("name", sorted(p.stem for p in (LIFECYCLE / "refusals").glob("*.json")))
def test_refusal_vector(name):
    v = _load(f"refusals/{name}.json")
    rules = load_rules(v["rules"]) if v["rules"] is not None else DEFAULT_RULES
    state = replay([parse_record(r) for r in v["records"]], rules)
    proposal = Proposal.of_record(
        parse_record(v["proposal"]["record"]),
        tuple(Actor.model_validate(s) for s in v["proposal"]["signers"]),
    )
    with pytest.raises(LifecycleRefusal) as e:
        decide(
            state,
            proposal,
            Actor.model_validate(v["actor"]),
            datetime.fromisoformat(v["at"]),
            rules,
        )
    assert e.value.rule == name == v["want"]["rule"]
    assert list(e.value.allowed) == v["want"]["allowed"]
    assert e.value.message_zh == v["want"]["message_zh"]


def test_a_drifted_table_fails_the_matrix(monkeypatch):
    """The matrix can fail: let contractors submit tender notices too, and a cell differs."""
    spec = KINDS["tender_notice"]
    drifted = replace(spec, roles={**spec.roles, Role.CONTRACTOR: None})
    monkeypatch.setitem(KINDS, "tender_notice", drifted)
    with pytest.raises(AssertionError, match="tender_notice in implementation by contractor"):
        test_every_cell_of_the_matrix()
