"""Reminders per person, and the webhook subscriptions that deliver them (docs/data-interface.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.routes.deps import Ctx, CurrentParty, known, require_role
from api.routes.schemas import ERRORS
from api.service.reminders import standing_reminders
from api.service.webhooks import check_webhook_url, load_webhook_key, secret_for
from api.storage.parties import ForbiddenError
from api.storage.webhooks import Subscription, WebhookStore
from notary.lifecycle import LifecycleRules
from notary.records import Identifier
from notary.reminders import Reminder

router = APIRouter(tags=["reminders"])


class ReminderList(BaseModel):
    person: str
    at: str
    reminders: list[Reminder]


@router.get("/v1/reminders", response_model=ReminderList, responses=ERRORS)
async def list_reminders(
    ctx: Ctx,
    who: CurrentParty,
    person: Annotated[str | None, Query(max_length=128)] = None,
) -> ReminderList:
    """The caller's reminders (an administrator or auditor may ask for any ``person``): what they
    are awaited to record, by due date, in English and Chinese."""
    wanted = who.party_id if person is None else known(person, "person")
    if wanted != who.party_id and not who.has("admin", "auditor"):
        raise ForbiddenError(f"party {who.party_id} may read only its own reminders")
    at = ctx.notary.clock()
    rules = ctx.notary.rules or LifecycleRules()
    found = await run_in_threadpool(
        standing_reminders,
        ctx.projects,
        ctx.parties,
        rules,
        datetime.fromisoformat(at),
        person=wanted,
    )
    return ReminderList(person=wanted, at=at, reminders=found)


#: http(s), a host, an optional path; no credentials, spaces or control characters.
_URL = r"^https?://[^\s/?#@\x00-\x1f\x7f]+(/[^\s#\x00-\x1f\x7f]*)?$"


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subscriber_kind: Literal["organisation", "person"]
    subscriber: Identifier
    url: str = Field(max_length=2000, pattern=_URL)


class SubscriptionOut(BaseModel):
    id: str
    subscriber_kind: str
    subscriber: str
    url: str
    created_at: str
    #: The signing secret: in the answer to its creation only (it is derived, never stored).
    secret: str | None = None


def _out(sub: Subscription, secret: str | None = None) -> SubscriptionOut:
    return SubscriptionOut(
        id=sub.id,
        subscriber_kind=sub.subscriber_kind,
        subscriber=sub.subscriber,
        url=sub.url,
        created_at=sub.created_at,
        secret=secret,
    )


@router.post("/v1/webhooks", status_code=201, response_model=SubscriptionOut, responses=ERRORS)
def subscribe(ctx: Ctx, who: CurrentParty, body: SubscriptionIn) -> SubscriptionOut:
    """(administrator) Deliver the reminders of an organisation's people, or of one person, to a
    URL, signed with the secret in this answer (shown once). A URL naming a loopback, private or
    link-local address is refused unless ``SUNLIGHT_WEBHOOK_ALLOW_PRIVATE`` is set."""
    require_role(who, "admin")
    check_webhook_url(body.url, allow_private=ctx.settings.webhook_allow_private)
    if body.subscriber_kind == "organisation":
        ctx.projects.organisation(body.subscriber)  # it must be registered
    else:
        ctx.parties.party(body.subscriber)
    sub = WebhookStore(ctx.notary.log.engine).subscribe(
        body.subscriber_kind, body.subscriber, body.url
    )
    return _out(sub, secret_for(load_webhook_key(ctx.settings), sub.id))


@router.get("/v1/webhooks", response_model=list[SubscriptionOut], responses=ERRORS)
def subscriptions(ctx: Ctx, who: CurrentParty) -> list[SubscriptionOut]:
    """(administrator) Every subscription (without secrets)."""
    require_role(who, "admin")
    return [_out(s) for s in WebhookStore(ctx.notary.log.engine).subscriptions()]


@router.delete("/v1/webhooks/{sub_id}", status_code=204, responses=ERRORS)
def unsubscribe(ctx: Ctx, who: CurrentParty, sub_id: str) -> Response:
    """(administrator) Remove a subscription; its deliveries not yet made are dropped."""
    require_role(who, "admin")
    WebhookStore(ctx.notary.log.engine).unsubscribe(known(sub_id, "subscription"))
    return Response(status_code=204)
