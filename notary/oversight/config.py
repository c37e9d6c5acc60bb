"""The rules' thresholds as data, and one call that runs every enabled rule.

A configuration document (JSON or TOML, parsed by the caller) names the rules whose thresholds
differ from the defaults, and may disable rules::

    {"serious_delay": {"margin_days": 45}, "disabled": ["contractor_share"]}

:func:`load_config` refuses an unknown rule or threshold, or a bad value, with an
:class:`OversightConfigError` whose ``field`` names it (``serious_delay.margin_days``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from notary.errors import RecordError
from notary.oversight.alert import Alert
from notary.oversight.rule import Rule, Thresholds
from notary.oversight.rules import RULES
from notary.oversight.snapshot import ProjectSnapshot
from notary.records import first_problem

__all__ = ["DEFAULT_CONFIG", "OversightConfig", "OversightConfigError", "evaluate", "load_config"]

T = TypeVar("T", bound=Thresholds)


class OversightConfigError(RecordError):
    """An oversight configuration document is invalid; ``field`` names the offending field."""

    code = "invalid_oversight_config"


class OversightConfig(BaseModel):
    """Version 1: every rule's thresholds (defaults where the document says nothing) and the
    rules disabled."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1] = 1
    disabled: frozenset[str] = Field(default=frozenset(), max_length=len(RULES))
    thresholds: Mapping[str, Thresholds]

    def thresholds_of(self, rule: Rule[T]) -> T:
        """The thresholds configured for ``rule``."""
        configured = self.thresholds[rule.id]
        assert isinstance(configured, rule.thresholds)
        return configured

    def enabled(self) -> tuple[Rule[Any], ...]:
        return tuple(r for r in RULES.values() if r.id not in self.disabled)


def load_config(document: Mapping[str, Any]) -> OversightConfig:
    """A configuration from a parsed document; absent rules keep their default thresholds."""
    if not isinstance(document, Mapping):
        raise OversightConfigError("an oversight configuration must be an object")
    given = dict(document)
    version = given.pop("version", 1)
    if version != 1:
        raise OversightConfigError("only version 1 is known", field="version")
    disabled = given.pop("disabled", [])
    if not isinstance(disabled, list | tuple) or not all(d in RULES for d in disabled):
        raise OversightConfigError(
            f"must be a list of rule ids: {', '.join(RULES)}", field="disabled"
        )
    thresholds: dict[str, Thresholds] = {}
    for rule_id, rule in RULES.items():
        values = given.pop(rule_id, {})
        try:
            thresholds[rule_id] = rule.thresholds.model_validate(values)
        except ValidationError as e:
            where, msg = first_problem(e, "")
            raise OversightConfigError(msg, field=f"{rule_id}.{where}".rstrip(".")) from e
    if given:
        unknown = min(given)
        raise OversightConfigError(
            f"not a rule of oversight (the rules: {', '.join(RULES)})", field=unknown
        )
    return OversightConfig(disabled=frozenset(disabled), thresholds=thresholds)


DEFAULT_CONFIG = load_config({})


def evaluate(
    snapshots: Sequence[ProjectSnapshot], at: datetime, config: OversightConfig = DEFAULT_CONFIG
) -> tuple[Alert, ...]:
    """Every enabled rule's alerts over ``snapshots`` at ``at`` (timezone-aware), rule by rule in
    the registry's order."""
    if at.tzinfo is None:
        raise RecordError("the time of an evaluation must carry a UTC offset", field="at")
    return tuple(
        a
        for rule in config.enabled()
        for a in rule.evaluate(snapshots, config.thresholds_of(rule), at)
    )
