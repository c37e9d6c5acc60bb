"""Registering a party's signing key: the key checked, its certificate (if any) checked against the
configured CA (``SUNLIGHT_PARTY_CA_FILE``), then a ``key_registration`` record appended to the log
(notary/keys.py) with the certificate kept in it as evidence."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from anyio import to_thread
from cryptography import x509

from notary.certs import CertifiedKey, check_certificate, read_certificates
from notary.errors import KeyMaterialError
from notary.keys import KEY_REGISTRATION, RegisteredKey, registration_data
from notary.records import Record
from notary.sigalgs import Alg

if TYPE_CHECKING:
    from api.context import AppContext
    from api.service.notary import Accepted

__all__ = ["load_ca_roots", "register_key"]

#: A CA file holds at most this many roots.
MAX_CA_ROOTS = 200


def load_ca_roots(path: Path | None) -> list[x509.Certificate]:
    """The party CA roots of ``SUNLIGHT_PARTY_CA_FILE`` (PEM); none when it is not set."""
    if path is None:
        return []
    try:
        return x509.load_pem_x509_certificates(path.read_bytes())[:MAX_CA_ROOTS]
    except (OSError, ValueError) as e:
        raise KeyMaterialError(f"SUNLIGHT_PARTY_CA_FILE: cannot read CA certificates: {e}") from e


async def register_key(
    ctx: AppContext,
    *,
    party: str,
    key_id: str,
    alg: Alg,
    public_key_b64: str,
    certificate_pem: str | None,
    submitter: str,
) -> tuple[Accepted, CertifiedKey | None]:
    """Check and register a key; its registration record's acceptance and the certificate's
    summary."""
    raw = await to_thread.run_sync(ctx.parties.new_key, party, key_id, alg, public_key_b64)
    received_at = ctx.notary.clock()
    certified = None
    if certificate_pem is not None:
        chain = read_certificates(certificate_pem.encode())
        certified = check_certificate(
            chain,
            roots=await to_thread.run_sync(load_ca_roots, ctx.settings.party_ca_file),
            at=datetime.fromisoformat(received_at),
            alg=alg,
            public_key=raw,
        )
    key = RegisteredKey(party, key_id, raw, alg, certified.chain if certified else ())
    record = Record(
        kind=KEY_REGISTRATION,
        data=registration_data(party, key_id, raw, alg=alg, certificates=key.certificates),
        submitter=submitter,
        received_at=received_at,
    )
    accepted = await ctx.committer.submit(record, blob=False)
    await to_thread.run_sync(lambda: ctx.parties.add_key(key, leaf=accepted.entry.index))
    return accepted, certified
