"""What a stored oversight snapshot is bound to besides its records: the lifecycle rules (the
ceiling the fold writes into it) and the fold's own code."""

from api.service.snapshot_cache import fold_fingerprint
from notary.lifecycle import DEFAULT_RULES, LifecycleRules


def test_the_fingerprint_is_the_rules_and_changes_with_them() -> None:
    assert fold_fingerprint(DEFAULT_RULES) == fold_fingerprint(LifecycleRules())
    lower = LifecycleRules(small_project_ceiling_fen=DEFAULT_RULES.small_project_ceiling_fen - 1)
    assert fold_fingerprint(lower) != fold_fingerprint(DEFAULT_RULES)
    assert fold_fingerprint(LifecycleRules(notice_min_days=1)) != fold_fingerprint(DEFAULT_RULES)
