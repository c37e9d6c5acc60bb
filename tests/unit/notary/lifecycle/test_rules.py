"""The rules as data: defaults, documents (JSON and TOML), errors naming the field; check_powers."""

import json
import tomllib

import pytest

from notary.lifecycle import (
    DEFAULT_RULES,
    LifecycleRefusal,
    Power,
    PowerHolder,
    Region,
    Role,
    RulesError,
    check_powers,
    load_rules,
)

REGION = Region(county="西泉县", township="清河镇", village="李庄村")


def test_the_defaults_are_the_issues():
    assert DEFAULT_RULES.notice_min_days == 5
    assert DEFAULT_RULES.small_project_ceiling_fen == 40_000_000
    assert [(s.name, s.role, s.side) for s in DEFAULT_RULES.acceptance_quorum] == [
        ("contractor", Role.CONTRACTOR, Power.EXECUTION),
        ("supervisor", Role.SUPERVISOR, Power.SUPERVISION),
        ("village_committee", Role.VILLAGE_COMMITTEE_HEAD, "owner"),
        ("township", Role.TOWNSHIP_ADMINISTRATOR, Power.APPROVAL),
    ]
    assert load_rules({}) == DEFAULT_RULES


def test_the_most_specific_ceiling_wins():
    rules = load_rules(
        {"ceiling_overrides_fen": {"清河镇": 30_000_000, "清河镇/李庄村": 20_000_000, "东山镇": 1}}
    )
    assert rules.ceiling_for(REGION) == (20_000_000, "ceiling_overrides_fen['清河镇/李庄村']")
    other_village = REGION.model_copy(update={"village": "王家村"})
    assert rules.ceiling_for(other_village) == (30_000_000, "ceiling_overrides_fen['清河镇']")
    elsewhere = REGION.model_copy(update={"township": "南湖镇"})
    assert rules.ceiling_for(elsewhere) == (40_000_000, "small_project_ceiling_fen")


TOML = """
version = 1
notice_min_days = 7
small_project_ceiling_fen = 50_000_000

[required_fields]
road = ["length_m"]
water = []

[[acceptance_quorum]]
name = "supervisor"
role = "supervisor"
side = "supervision"

[[acceptance_quorum]]
name = "owner"
role = "village_committee_head"
side = "owner"
"""


def test_a_toml_document_and_its_json_twin_load_alike():
    doc = tomllib.loads(TOML)
    rules = load_rules(doc)
    assert rules.notice_min_days == 7 and rules.small_project_ceiling_fen == 50_000_000
    assert rules.required_fields == {"road": ("length_m",), "water": ()}
    assert [s.side for s in rules.acceptance_quorum] == [Power.SUPERVISION, "owner"]
    assert load_rules(json.loads(json.dumps(doc))) == rules


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"notice_min_days": -1}, "notice_min_days"),
        ({"notice_min_days": "5"}, "notice_min_days"),
        ({"small_project_ceiling_fen": 4.5e7}, "small_project_ceiling_fen"),
        ({"ceiling_overrides_fen": {"清河镇/李庄村/三组": 1}}, "ceiling_overrides_fen"),
        ({"ceiling_overrides_fen": {"清河镇": -1}}, "ceiling_overrides_fen.清河镇"),
        (
            {"acceptance_quorum": [{"name": "x", "role": "mayor", "side": "owner"}]},
            "acceptance_quorum.0.role",
        ),
        ({"acceptance_quorum": []}, "acceptance_quorum"),
        ({"required_fields": {}}, "required_fields"),
        ({"notice_days": 5}, "notice_days"),
        ({"version": 2}, "version"),
    ],
)
def test_a_bad_document_is_refused_naming_the_field(doc, field):
    with pytest.raises(RulesError) as e:
        load_rules(doc)
    assert e.value.field is not None and e.value.field.startswith(field), e.value


def test_duplicate_quorum_seats_are_refused():
    seat = {"name": "x", "role": "supervisor", "side": "supervision"}
    with pytest.raises(RulesError, match="unique"):
        load_rules({"acceptance_quorum": [seat, seat]})


def test_a_document_must_be_an_object():
    with pytest.raises(RulesError):
        load_rules([])  # type: ignore[arg-type]


def _holders(*triples: tuple[str, str, str]) -> list[PowerHolder]:
    return [PowerHolder(power=Power(p), organisation=o, person=n) for p, o, n in triples]


def test_check_powers_accepts_four_parties_and_refuses_any_double():
    check_powers(
        _holders(
            ("approval", "township", "wang"),
            ("execution", "builder", "li"),
            ("supervision", "supervisor", "zhao"),
            ("evaluation", "audit", "sun"),
        )
    )
    for doubled in [
        (("approval", "township", "wang"), ("evaluation", "township", "sun")),
        (("approval", "township", "wang"), ("supervision", "supervisor", "wang")),
    ]:
        with pytest.raises(LifecycleRefusal) as e:
            check_powers(_holders(*doubled))
        assert (e.value.rule, e.value.allowed) == ("powers.conflict", ("approval",))
