"""The thresholds as data: defaults, errors naming the field, disabled rules."""

import pytest

from notary.oversight import DEFAULT_CONFIG, RULES, OversightConfigError, evaluate, load_config
from notary.oversight.rules.serious_delay import DelayThresholds
from tests.support.oversight import AT, Log


def test_every_rule_has_defaults_and_a_document_changes_only_what_it_names():
    assert set(DEFAULT_CONFIG.thresholds) == set(RULES)
    config = load_config({"serious_delay": {"margin_days": 45}, "disabled": ["photo_reused"]})
    assert config.thresholds_of(RULES["serious_delay"]) == DelayThresholds(margin_days=45)
    assert config.thresholds["over_budget"] == DEFAULT_CONFIG.thresholds["over_budget"]
    assert "photo_reused" not in {r.id for r in config.enabled()}
    for rule in RULES.values():
        assert rule.title.en and rule.title.zh and rule.explanation.en and rule.explanation.zh
        assert isinstance(DEFAULT_CONFIG.thresholds_of(rule), rule.thresholds)


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"serious_delay": {"margin_days": -1}}, "serious_delay.margin_days"),
        ({"serious_delay": {"margin": 3}}, "serious_delay.margin"),
        ({"contractor_share": {"share_percent": "a lot"}}, "contractor_share.share_percent"),
        ({"serious_delay": 3}, "serious_delay"),
        ({"no_such_rule": {}}, "no_such_rule"),
        ({"disabled": ["no_such_rule"]}, "disabled"),
        ({"disabled": "serious_delay"}, "disabled"),
        ({"version": 2}, "version"),
    ],
)
def test_a_bad_document_is_refused_naming_the_field(document, field):
    with pytest.raises(OversightConfigError) as e:
        load_config(document)
    assert e.value.field == field


def test_a_disabled_rule_does_not_run():
    log = Log()
    log.register("XQ-1")  # never completed: a serious delay by AT
    assert [a.rule for a in evaluate(log.snapshots(), AT)] == ["serious_delay"]
    assert evaluate(log.snapshots(), AT, load_config({"disabled": ["serious_delay"]})) == ()
    with pytest.raises(ValueError, match="offset"):
        evaluate(log.snapshots(), AT.replace(tzinfo=None))
