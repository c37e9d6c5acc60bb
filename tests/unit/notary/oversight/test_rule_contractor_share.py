"""contractor_share: one contractor wins more than a share of a township's recent awards."""

from notary.oversight import RULES, RecordRef
from notary.oversight.rules.contractor_share import ShareThresholds
from tests.support.oversight import AT, Log, day

RULE = RULES["contractor_share"]


def township(
    winners: list[str], *, at: float = 100, name: str = "清河镇"
) -> tuple[Log, list[RecordRef]]:
    log, refs = Log(), []
    for i, org in enumerate(winners):
        code = f"{name}-{i}".replace("清河镇", "QH").replace("东山镇", "DS")
        log.register(code, township=name)
        refs.append(log.add(code, "award", day(at), {"organisation": org, "amount_fen": 1}))
    return log, refs


def test_a_contractor_over_the_share_raises_an_alert_on_its_awards():
    winners = ["org-x"] * 4 + [f"org-{i}" for i in range(6)]
    log, refs = township(winners)
    (alert,) = RULE.evaluate(log.snapshots(), ShareThresholds(), AT)
    assert (alert.subject.organisation, alert.subject.township) == ("org-x", "清河镇")
    assert alert.subject.projects == ()
    assert list(alert.evidence) == refs[:4]
    assert alert.figures == {"won": 4, "awarded": 10, "share_percent": 40.0}


def test_exactly_the_share_passes():
    log, _ = township(["org-x"] * 3 + [f"org-{i}" for i in range(7)])
    assert RULE.evaluate(log.snapshots(), ShareThresholds(share_percent=30), AT) == ()


def test_few_awards_or_old_ones_are_not_judged():
    log, _ = township(["org-x"] * 5 + [f"org-{i}" for i in range(4)])
    assert RULE.evaluate(log.snapshots(), ShareThresholds(min_projects=10), AT) == ()
    assert len(RULE.evaluate(log.snapshots(), ShareThresholds(min_projects=9), AT)) == 1
    age = (AT - day(100)).days  # the awards are this many whole days old (and some hours)
    recent = ShareThresholds(min_projects=9, window_days=age)
    assert RULE.evaluate(log.snapshots(), recent.model_copy(update={"window_days": age + 1}), AT)
    assert RULE.evaluate(log.snapshots(), recent, AT) == ()


def test_each_township_is_judged_on_its_own():
    log, _ = township(["org-x"] * 2 + [f"org-{i}" for i in range(8)])
    other, _ = township(["org-x"] * 2 + [f"org-{i}" for i in range(8)], name="东山镇")
    snapshots = [*log.snapshots(), *other.snapshots()]
    assert RULE.evaluate(snapshots, ShareThresholds(share_percent=15), AT) != ()
    assert RULE.evaluate(snapshots, ShareThresholds(share_percent=20), AT) == ()
