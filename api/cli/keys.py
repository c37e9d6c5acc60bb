"""``sunlight keygen`` and ``sunlight sign``: a signing party's key, made and used offline.

The private key stays in a file on the signer's machine (mode 0600, never printed); ``keygen``
prints the public key to register (``POST /v1/parties/{id}/keys``), ``sign`` prints the signature
object the submitter puts in the record's ``signatures`` (docs/formats.md, "Party signatures").
Neither opens the data directory, the database or the network.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional

import typer
from pydantic import ValidationError

from notary import jsonin
from notary.digests import digest_stream
from notary.errors import KeyMaterialError, RecordError
from notary.records import STAGES, RecordSignature, first_problem, signature_payload
from notary.sigalgs import PartyKey

__all__ = ["keygen", "sign"]


class KeyAlg(StrEnum):
    ed25519 = "ed25519"
    p256 = "p256"
    sm2 = "sm2"


class Stage(StrEnum):
    application = STAGES[0]
    review = STAGES[1]
    notice = STAGES[2]
    implementation = STAGES[3]
    settlement = STAGES[4]


def keygen(
    out: Annotated[Path, typer.Option("--out", "-o", help="Private key file to create (PEM).")],
    alg: Annotated[KeyAlg, typer.Option(help="Signature algorithm.")] = KeyAlg.ed25519,
) -> None:
    """Make a signing key: write the private key (PKCS#8 PEM, mode 0600, never printed) and print
    the public key to register, as JSON {alg, public_key}."""
    key = PartyKey.from_secret(alg.value, secrets.token_bytes(48))
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as e:
        raise KeyMaterialError(f"{out} exists: not overwriting a key") from e
    except OSError as e:
        raise KeyMaterialError(f"cannot create {out}: {e.strerror}") from e
    with os.fdopen(fd, "wb") as f:
        f.write(key.to_pem())
    public = base64.b64encode(key.public_key).decode()
    print(json.dumps({"alg": key.alg, "public_key": public}))


def sign(
    party: Annotated[str, typer.Option(help="Your party id.")],
    key_id: Annotated[str, typer.Option(help="The id your key is registered under.")],
    key: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="Private key (PEM).")],
    file: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Argument(exists=True, dir_okay=False, help="The file the record notarizes."),
    ] = None,
    project: Annotated[Optional[str], typer.Option(help="Project code.")] = None,  # noqa: UP045
    stage: Annotated[Optional[Stage], typer.Option(help="Lifecycle stage.")] = None,  # noqa: UP045
    kind: Annotated[str, typer.Option(help="Record kind.")] = "document",
    data: Annotated[str, typer.Option(help="The record's data, a JSON object.")] = "{}",
) -> None:
    """Sign a record for a party, offline: print the signature object (JSON) to put in the
    record's ``signatures``. The record must then carry exactly this file (none: a data-only
    record), project, stage, kind and data."""
    fields = jsonin.loads(data, what="--data")
    if not isinstance(fields, dict):
        raise RecordError("must be a JSON object", field="--data")
    digest = None
    if file is not None:
        with file.open("rb") as f:
            digest = digest_stream(f, sm3=False).sha256
    payload = signature_payload(
        project=project,
        stage=stage.value if stage else None,
        kind=kind,
        content_sha256=digest,
        data=fields,
        party=party,
    )
    signer = PartyKey.from_pem(key.read_bytes())
    sig = base64.b64encode(signer.sign(payload)).decode()
    try:
        signature = RecordSignature(party=party, alg=signer.alg, key_id=key_id, sig=sig)
    except ValidationError as e:
        where, msg = first_problem(e, "signature")
        raise RecordError(msg, field=where) from e
    print(json.dumps(signature.model_dump()))
