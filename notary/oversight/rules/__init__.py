"""The risk rules, one module each, and their registry :data:`RULES` (rule id → rule).

A new rule is a module here with a class that meets :class:`~notary.oversight.rule.Rule` (an id,
a title and explanation in English and Chinese, a severity, a thresholds model with defaults and
``evaluate``), one line in :data:`RULES`, and its test module in tests/unit/notary/oversight/.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notary.oversight.rule import Rule
from notary.oversight.rules.acceptance_before_completion import AcceptanceBeforeCompletion
from notary.oversight.rules.bidder_change import BidderChange
from notary.oversight.rules.contractor_share import ContractorShare
from notary.oversight.rules.notice_irregular import NoticeIrregular
from notary.oversight.rules.over_budget import OverBudget
from notary.oversight.rules.payment_without_acceptance import PaymentWithoutAcceptance
from notary.oversight.rules.photo_out_of_place import PhotoOutOfPlace
from notary.oversight.rules.photo_reused import PhotoReused
from notary.oversight.rules.project_splitting import ProjectSplitting
from notary.oversight.rules.serious_delay import SeriousDelay

__all__ = ["RULES"]

_ALL: tuple[Rule[Any], ...] = (
    BidderChange(),
    OverBudget(),
    SeriousDelay(),
    ProjectSplitting(),
    ContractorShare(),
    PaymentWithoutAcceptance(),
    AcceptanceBeforeCompletion(),
    NoticeIrregular(),
    PhotoOutOfPlace(),
    PhotoReused(),
)

#: Every rule by id, in the issue's order.
RULES: Mapping[str, Rule[Any]] = {r.id: r for r in _ALL}
