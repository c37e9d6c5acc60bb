"""The errors of the lifecycle: a refused proposal, and a rules document that cannot be read."""

from __future__ import annotations

from notary.errors import NotaryError, RecordError

__all__ = ["LifecycleRefusal", "RulesError"]


class LifecycleRefusal(NotaryError):
    """A proposed record the lifecycle does not accept, and why.

    ``rule`` is a stable id (``"step.kind_not_allowed"``, ``"budget.over_ceiling"``, …; the full
    list is in :mod:`notary.lifecycle`), ``message`` says what is wrong in English and
    ``message_zh`` in Chinese (the pages are Chinese first), and ``allowed`` what would be allowed
    instead: kinds, roles, steps, organisations or a limit, as the rule says.
    """

    code = "lifecycle_refused"

    def __init__(
        self, rule: str, message: str, message_zh: str, allowed: tuple[str, ...] = ()
    ) -> None:
        self.rule = rule
        self.message = message
        self.message_zh = message_zh
        self.allowed = allowed
        super().__init__(f"{rule}: {message}")

    def diagnostics(self) -> str:
        instead = f" Allowed instead: {', '.join(self.allowed)}." if self.allowed else ""
        return f"{self}.{instead}"


class RulesError(RecordError):
    """A lifecycle rules document is invalid; ``field`` names the offending field."""

    code = "invalid_lifecycle_rules"
