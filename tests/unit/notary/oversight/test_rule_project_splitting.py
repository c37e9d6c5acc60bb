"""project_splitting: one village, category and contractor, a short window, over the ceiling."""

from notary.oversight import RULES, RecordRef
from notary.oversight.alert import MAX_EVIDENCE, MAX_SUBJECT_PROJECTS
from notary.oversight.rules.project_splitting import SplittingThresholds
from tests.support.oversight import AT, Log, day

RULE = RULES["project_splitting"]
WAN = 1_000_000


def county(*projects: tuple[float, int, str, str]) -> tuple[Log, list[RecordRef]]:
    """Projects as (registration day, budget in 万, contractor, category), each awarded."""
    log, refs = Log(), []
    for i, (at, wan, org, category) in enumerate(projects):
        code = f"XQ-{i}"
        refs.append(log.register(code, at=day(at), budget_fen=wan * WAN, category=category))
        refs.append(log.add(code, "award", day(at + 10), {"organisation": org, "amount_fen": 1}))
    return log, refs


def test_three_projects_over_the_ceiling_in_the_window_raise_one_alert_on_all_of_them():
    log, refs = county(
        (0, 17, "org-a", "road"), (8, 16, "org-a", "road"), (17, 18, "org-a", "road")
    )
    (alert,) = RULE.evaluate(log.snapshots(), SplittingThresholds(), AT)
    assert alert.subject.projects == ("XQ-0", "XQ-1", "XQ-2")
    assert list(alert.evidence) == refs  # each registration and award
    assert alert.figures == {
        "projects": 3,
        "total_budget_fen": 51 * WAN,
        "ceiling_fen": 40 * WAN,
        "days": 17,
    }


def test_budgets_that_add_up_to_the_ceiling_exactly_pass():
    log, _ = county((0, 20, "org-a", "road"), (5, 20, "org-a", "road"))
    assert RULE.evaluate(log.snapshots(), SplittingThresholds(), AT) == ()
    assert (
        len(RULE.evaluate(log.snapshots(), SplittingThresholds(ceiling_fen=40 * WAN - 1), AT)) == 1
    )


def test_the_window_counts_its_last_day_and_no_more():
    log, _ = county((0, 30, "org-a", "road"), (90, 25, "org-a", "road"))
    assert len(RULE.evaluate(log.snapshots(), SplittingThresholds(window_days=90), AT)) == 1
    assert RULE.evaluate(log.snapshots(), SplittingThresholds(window_days=89), AT) == ()


def test_another_contractor_or_category_is_another_group():
    log, _ = county((0, 30, "org-a", "road"), (5, 25, "org-b", "road"), (9, 25, "org-a", "water"))
    assert RULE.evaluate(log.snapshots(), SplittingThresholds(), AT) == ()
    assert (
        RULE.evaluate(log.snapshots(), SplittingThresholds(min_projects=3, ceiling_fen=1), AT) == ()
    )


def test_a_huge_window_makes_one_alert_of_bounded_size():
    log, _ = county(*[(i / 10, 2, "org-a", "road") for i in range(250)])
    (alert,) = RULE.evaluate(log.snapshots(), SplittingThresholds(), AT)
    assert alert.figures["projects"] == 250 and alert.evidence_count == 500
    assert (
        len(alert.subject.projects) == MAX_SUBJECT_PROJECTS and len(alert.evidence) == MAX_EVIDENCE
    )
    assert "+240" in alert.explanation.en and len(alert.explanation.en) < 400
