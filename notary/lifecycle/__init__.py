"""The project lifecycle as rules: pure, typed, no I/O, no clock.

A project's records give it meaning step by step: application 申报 → review 评审 → public notice
公示 → implementation 实施 → settlement 结算, then archived 归档. The log is the truth:
:func:`replay` folds a project's records into its :class:`ProjectState`, and :func:`decide` judges a
proposed record against that state, returning a :class:`Transition` or raising a
:class:`LifecycleRefusal` that names the ``rule``, says why in English (``message``) and Chinese
(``message_zh``), and lists what is ``allowed`` instead.

Public API (everything else is internal):

- ``decide(state, proposal, actor, at, rules=DEFAULT_RULES) -> Transition``;
  ``replay(records, rules=DEFAULT_RULES) -> ProjectState``; ``ProjectState()`` is a project with no
  records; ``accepted_kinds(step, roles)``; ``check_powers(holders)``.
- ``Proposal(project, stage, kind, data, signers)`` — ``Proposal.of_record(record, signers)`` for a
  draft record; ``signers`` are the :class:`Actor` s whose signatures on it verified.
- ``Actor(person, organisation, roles)``, ``Role``, ``Power``, ``PowerHolder``, ``Side``.
- ``Project``, ``Region``; ``Step``; ``KINDS`` (kind → :class:`KindSpec`), ``STEP_ZH``, ``ROLE_ZH``.
- ``LifecycleRules``, ``QuorumSeat``, ``DEFAULT_RULES``, ``load_rules(document)`` (raises
  :class:`RulesError`, naming the field).

Every lifecycle record carries ``data.actor = {"organisation": <org id>, "role": <role>}``: the
organisation its submitter (a person) acts for and the role they act in, so that every action
names the person and the organisation responsible and the state follows from the records alone.
The record's ``stage`` is the project's step (``settlement`` once archived).

The kinds (``KINDS``; role → the side of the project the submitter's organisation must be on;
*requires* = recorded earlier in the same step; amounts in integer fen):

==========================  ==============  ==================================  ====================
kind                        step            role → side                         data (besides actor)
==========================  ==============  ==================================  ====================
project_registration        application*    village_committee_head              the Project fields
power_assignment            all but archive county/township_administrator       power, organisation,
                                                                                person
application → review        application     village_committee_head → owner
review_opinion              review          county/township_admin., finance     opinion
approval → notice           review          township_administrator → approval   opinion; requires
                                                                                review_opinion
rejection → application     review          township_administrator → approval   reason
notice_published (once)     notice          township_administrator → approval
objection                   notice          any role                            reason; requires
                                                                                notice_published
objection_ruling            notice          county_administrator                objection (number),
                                                                                upheld, reason
notice_closed → impl.       notice          township_administrator → approval   requires
                                                                                notice_published
tender_notice               implementation  village_committee_head → owner
bid                         implementation  contractor                          amount_fen
award (once)                implementation  village_committee_head → owner      organisation,
                                                                                amount_fen
contract (once)             implementation  contractor → execution              amount_fen
progress_report             implementation  contractor → execution              percent
site_photo                  implementation  contractor → execution,
                                            supervisor → supervision
supervision_report          implementation  supervisor → supervision
change_order                implementation  contractor → execution              reason,
                                                                                amount_delta_fen
completion → settlement     implementation  contractor → execution              requires contract
acceptance_request          settlement      contractor → execution
acceptance_certificate      settlement      village_committee_head → owner      signers [{person,
(once)                                                                          organisation, role}]
payment_request             settlement      contractor → execution              amount_fen
payment_approval            settlement      finance_reviewer
payment                     settlement      finance_reviewer                    amount_fen
audit_opinion               every step      auditor → evaluation                opinion
settlement → archived       settlement      township_administrator → approval   final_amount_fen
==========================  ==============  ==================================  ====================

(*) registration is the first record of a project. Progress reports, site photos, supervision
reports and change orders require the contract; the contract requires the award, the award a bid,
a bid the tender notice; the certificate requires the acceptance request, the settlement the
certificate and an audit opinion. An upheld objection sends the project back to review.

Refusal rules (``LifecycleRefusal.rule``): ``kind.unknown``, ``project.not_registered``,
``project.already_registered``, ``project.mismatch``, ``step.kind_not_allowed``,
``step.wrong_stage``, ``role.not_permitted``, ``data.invalid``, ``actor.mismatch``,
``owner.required``, ``powers.not_held``, ``powers.conflict``, ``powers.already_assigned``,
``order.already_recorded``, ``order.missing_prerequisite``, ``registration.unknown_category``,
``registration.missing_field``, ``budget.over_ceiling``, ``budget.over_budget``,
``notice.too_short``, ``notice.objection_pending``, ``notice.no_such_objection``,
``contract.not_awardee``, ``quorum.unverified_signer``, ``quorum.missing``,
``payment.before_acceptance``, ``payment.pending``, ``payment.over_contract``,
``payment.no_request``, ``payment.not_approved``.

A change of a person's organisation or lifecycle roles (:mod:`notary.lifecycle.membership`:
``Standing``, ``check_standing_change``, the ``party_change`` record) is refused by
``powers.move_conflict`` or ``powers.role_conflict`` when it would let them act for a second power
of a project that is not archived.
"""

from notary.lifecycle.kinds import KINDS, STEP_ZH, KindSpec, Step
from notary.lifecycle.machine import accepted_kinds, decide, replay
from notary.lifecycle.membership import PARTY_CHANGE, Standing, check_standing_change
from notary.lifecycle.parties import ROLE_ZH, Actor, Power, PowerHolder, Role, Side, check_powers
from notary.lifecycle.project import Project, Region
from notary.lifecycle.refusal import LifecycleRefusal, RulesError
from notary.lifecycle.rules import DEFAULT_RULES, LifecycleRules, QuorumSeat, load_rules
from notary.lifecycle.state import ProjectState, Proposal, Transition

__all__ = [
    "DEFAULT_RULES",
    "KINDS",
    "PARTY_CHANGE",
    "ROLE_ZH",
    "STEP_ZH",
    "Actor",
    "KindSpec",
    "LifecycleRefusal",
    "LifecycleRules",
    "Power",
    "PowerHolder",
    "Project",
    "ProjectState",
    "Proposal",
    "QuorumSeat",
    "Region",
    "Role",
    "RulesError",
    "Side",
    "Standing",
    "Step",
    "Transition",
    "accepted_kinds",
    "check_powers",
    "check_standing_change",
    "decide",
    "load_rules",
    "replay",
]
