"""Field devices: a person's phone paired with a one-time code, and the requests it signs with its
own key instead of sending a bearer token (docs/field-capture.md).

Pairing: an administrator (or a township or county administrator, for people of organisations in
their county) issues a code for a person; the device sends the code with the public half of a key it
generated and cannot export; the key is registered for the person as any key is (a
``key_registration`` record of the log, submitted by the code's issuer) and remembered as a device.

A device's request carries ``Authorization: SunlightDevice <party> <key_id> <time> <signature>``:
``time`` in Unix seconds, the signature (base64, 64 bytes, notary/sigalgs.py) by the device key over
:func:`request_payload` — the method, the path with its query, the ``Idempotency-Key`` and the time.
The server takes it within ``SUNLIGHT_DEVICE_CLOCK_SKEW_S`` of its own clock; a POST must carry an
``Idempotency-Key``, so a replayed request is answered with the record it made the first time. A
device may only call :data:`DEVICE_ROUTES`, and a record it files must carry its own signature
(:func:`require_device_signature`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from anyio import to_thread

from api.service.keys import register_key
from api.service.lifecycle import people_of
from api.storage.devices import DeviceStore, IssuedCode
from api.storage.parties import AuthError, ForbiddenError, Principal
from notary.errors import InvalidRequestError, RecordError, SignatureError
from notary.lifecycle import Role
from notary.records import canonical_json
from notary.sigalgs import Alg, parse_public_key, verify_signature

if TYPE_CHECKING:
    from api.context import AppContext
    from api.service.notary import Accepted

__all__ = [
    "DEVICE_ROUTES",
    "DEVICE_SCHEME",
    "Paired",
    "authenticate_device",
    "check_may_issue",
    "device_key_id",
    "issue_code",
    "pair_device",
    "request_payload",
    "require_device_signature",
]

DEVICE_SCHEME = "SunlightDevice"
REQUEST_TYPE = "sunlight-device-request/1"
#: (method, route template) a paired device may call: who it is, its projects, filing records and
#: reading them back with their proofs.
DEVICE_ROUTES = frozenset(
    {
        ("GET", "/v1/parties/me"),
        ("GET", "/v1/capture/projects"),
        ("GET", "/v1/projects/{code}"),
        ("POST", "/v1/records"),
        ("GET", "/v1/records/{record_id}"),
        ("GET", "/v1/records/{record_id}/proof"),
    }
)
_ISSUERS = frozenset({Role.TOWNSHIP_ADMINISTRATOR, Role.COUNTY_ADMINISTRATOR})
_USAGE = "use 'Authorization: SunlightDevice <party> <key id> <unix time> <base64 signature>'"


def device_key_id(public_key: bytes) -> str:
    """The key id of a device key: fixed by the key itself."""
    return "device-" + hashlib.sha256(public_key).hexdigest()[:16]


def request_payload(
    *, party: str, key_id: str, method: str, target: str, idempotency_key: str | None, at: int
) -> bytes:
    """What a device signs for one request: ``JCS({"type": "sunlight-device-request/1", "party",
    "key_id", "method", "target", "idempotency_key", "time"})``; ``target`` is the path and, when
    there is one, ``?`` and the query."""
    return canonical_json(
        {
            "type": REQUEST_TYPE,
            "party": party,
            "key_id": key_id,
            "method": method,
            "target": target,
            "idempotency_key": idempotency_key,
            "time": at,
        }
    )


def authenticate_device(
    ctx: AppContext,
    credentials: str,
    *,
    method: str,
    target: str,
    route: str,
    idempotency_key: str | None,
) -> Principal:
    """The principal of a device-signed request; :class:`AuthError` with a plain reason for a
    request that is not one, :class:`ForbiddenError` for a route a device may not call."""
    parts = credentials.split()
    if len(parts) != 4 or not parts[2].isdigit() or len(parts[2]) > 12 or len(parts[3]) > 100:
        raise AuthError(_USAGE)
    party, key_id, when, sig_b64 = parts
    skew = ctx.settings.device_clock_skew_s
    if abs(time.time() - int(when)) > skew:
        raise AuthError(
            f"the device's time is more than {skew} seconds from the server's: set the phone's "
            "date and time, then try again"
        )
    found = DeviceStore(ctx.notary.log.engine).key(party, key_id)
    if found is None:
        raise AuthError("this device is not paired: pair it with a new code")
    key, revoked = found
    if revoked:
        raise AuthError(
            "this device was revoked: ask your township administrator for a new pairing code"
        )
    payload = request_payload(
        party=party,
        key_id=key_id,
        method=method,
        target=target,
        idempotency_key=idempotency_key,
        at=int(when),
    )
    try:
        verify_signature(key.alg, key.public_key, base64.b64decode(sig_b64, validate=True), payload)
    except (binascii.Error, ValueError, SignatureError) as e:
        raise AuthError("the device's request signature does not verify") from e
    if (method, route) not in DEVICE_ROUTES:
        raise ForbiddenError("a paired device may only file records and read projects and records")
    if method != "GET" and idempotency_key is None:
        raise InvalidRequestError("a device's request needs an Idempotency-Key header")
    return Principal(party, frozenset(ctx.parties.party(party).roles), device=key_id)


def require_device_signature(who: Principal, signers: list[tuple[object, object]]) -> None:
    """A record a device files must be signed by that device's key (checked with the others)."""
    if who.device is not None and (who.party_id, who.device) not in signers:
        raise RecordError(
            f"a record filed by device {who.device} must carry its signature", field="signatures"
        )


def check_may_issue(ctx: AppContext, who: Principal, party_id: str) -> None:
    """Administrators issue pairing codes for any person; a township or county administrator for
    people of organisations in their own county."""
    actor = people_of(ctx.parties, {who.party_id}).get(who.party_id)
    admin = who.has("admin")
    if who.device is not None or not (admin or (actor is not None and actor.roles & _ISSUERS)):
        raise ForbiddenError(
            "pairing codes are issued by an administrator, or a township or county administrator"
        )
    target = ctx.parties.party(party_id)
    if target.kind != "person" or "admin" in target.roles:
        raise RecordError(
            f"devices are paired for people who file records; {party_id} is not one",
            field="party",
        )
    if admin or actor is None:
        return
    county = ctx.projects.organisation(actor.organisation).region.split("/")[0]
    theirs = target.organisation and ctx.projects.organisation(target.organisation).region
    if not theirs or theirs.split("/")[0] != county:
        raise ForbiddenError(f"you pair devices for people of organisations in {county} only")


def issue_code(ctx: AppContext, who: Principal, party_id: str) -> IssuedCode:
    check_may_issue(ctx, who, party_id)
    store = DeviceStore(ctx.notary.log.engine)
    return store.issue(party_id, who.party_id, ctx.settings.pairing_code_ttl_s)


@dataclass(frozen=True, slots=True)
class Paired:
    party_id: str
    key_id: str
    accepted: Accepted


async def pair_device(
    ctx: AppContext, *, code: str, alg: Alg, public_key_b64: str, label: str
) -> Paired:
    """Use ``code`` to register the device key for its person; the key is checked first, so a
    malformed key spends no code."""
    try:
        decoded = base64.b64decode(public_key_b64, validate=True)
    except (binascii.Error, ValueError) as e:
        raise RecordError("must be base64", field="public_key") from e
    raw = parse_public_key(alg, decoded)
    store = DeviceStore(ctx.notary.log.engine)
    redeemed = await to_thread.run_sync(store.redeem, code)
    key_id = device_key_id(raw)
    accepted, _ = await register_key(
        ctx,
        party=redeemed.party_id,
        key_id=key_id,
        alg=alg,
        public_key_b64=public_key_b64,
        certificate_pem=None,
        submitter=redeemed.issued_by,
    )
    await to_thread.run_sync(store.add, redeemed.party_id, key_id, label, redeemed.code_id)
    return Paired(redeemed.party_id, key_id, accepted)
