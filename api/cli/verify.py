"""``sunlight verify``: judge a proof bundle against a trust root the person at the keyboard chose.

The trust root comes from ``--log-key`` (a pinned notary key), ``--contract`` with ``--rpc-url`` (a
chain named by the verifier, read through a node it trusts), and ``--trust FILE`` (a
``sunlight-trust/1`` document listing known logs and chains). Nothing in the bundle is trusted: its
key, contract and chain are hints. Exit status: 0 verified (anchored, or verified by a pinned log),
1 not verified (a check failed), 3 not authenticated (no trust root, or none that vouches for it),
2 for a usage or configuration error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.table import Table

from api.cli.common import out
from notary.bundle import parse_bundle, verify_bundle
from notary.chainview import Anchor
from notary.digests import digest_stream
from notary.errors import TrustRootError
from notary.jsonin import loads
from notary.signing import parse_public_key
from notary.trust import TrustedChain, TrustedLog, TrustRoot, parse_trust_root
from notary.verdict import Level, VerificationReport

if TYPE_CHECKING:
    from anchors.base import ChainReader

EXIT = {
    Level.ANCHORED: 0,
    Level.LOG_VERIFIED: 0,
    Level.NOT_VERIFIED: 1,
    Level.NOT_AUTHENTICATED: 3,
}

_HEADLINE = {
    Level.ANCHORED: "[bold green]VERIFIED: in the log and anchored on the trusted chain[/]",
    Level.LOG_VERIFIED: "[bold green]VERIFIED BY THE LOG[/] (signed by the pinned key; not anchored)",
    Level.NOT_AUTHENTICATED: "[bold yellow]NOT AUTHENTICATED[/]: checked against no trust root",
    Level.NOT_VERIFIED: "[bold red]NOT VERIFIED[/]",
}


LogKey = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(help="Pin this notary public key (base64 raw Ed25519): a trust root."),
]
TrustFile = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option(exists=True, dir_okay=False, help="A sunlight-trust/1 file of known logs."),
]
RpcUrl = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(help="Ethereum JSON-RPC URL of a node you trust (with --contract)."),
]
Contract = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(help="The EvidenceAnchor contract you trust (with --rpc-url)."),
]
ChainId = Annotated[
    Optional[int],  # noqa: UP045
    typer.Option(help="The chain id you trust (default: the one the --rpc-url node reports)."),
]
Confirmations = Annotated[
    int, typer.Option(min=1, help="Blocks an anchor needs (its own included).")
]
JsonOutput = Annotated[bool, typer.Option("--json")]


def verify(
    bundle: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    file: Annotated[Optional[Path], typer.Option(exists=True, dir_okay=False)] = None,  # noqa: UP045
    log_key: LogKey = None,
    trust: TrustFile = None,
    rpc_url: RpcUrl = None,
    contract: Contract = None,
    chain_id: ChainId = None,
    confirmations: Confirmations = 1,
    json_output: JsonOutput = False,
) -> None:
    """Verify a proof bundle against the trust root you name: a pinned log key, a chain and
    contract you trust, or a trust file. With none, the verdict is at best 'not authenticated'."""
    parsed = parse_bundle(bundle.read_bytes())
    root, view = trust_root(log_key, trust, rpc_url, contract, chain_id, confirmations)
    if view is None:
        view = chain_of_trust_file(root, parsed.checkpoint.log_id, parsed.anchor)
    digest = None
    if file is not None:
        content = parsed.record.get("content")
        wants_sm3 = isinstance(content, dict) and bool(content.get("sm3"))
        with file.open("rb") as f:
            digest = digest_stream(f, sm3=wants_sm3)
    report = verify_bundle(parsed, trust=root, file_digest=digest, chain=view)
    if json_output:
        print(json.dumps(report.to_json()))
    else:
        print_report(str(bundle), report)
    raise typer.Exit(EXIT[report.level])


def trust_root(
    log_key: str | None,
    trust: Path | None,
    rpc_url: str | None,
    contract: str | None,
    chain_id: int | None,
    confirmations: int,
) -> tuple[TrustRoot, ChainReader | None]:
    """The trust root the options name, and read access to the chain they name (if any)."""
    root = parse_trust_root(loads(trust.read_bytes(), what="trust file")) if trust else TrustRoot()
    view: ChainReader | None = None
    named: TrustedChain | None = None
    if rpc_url or contract:
        if not (rpc_url and contract):
            raise TrustRootError(
                "name the chain you trust with both --rpc-url and --contract: the contract a "
                "proof names is only a hint"
            )
        view = _open_chain(rpc_url, contract)
        named = TrustedChain(
            chain_id=view.chain_id if chain_id is None else chain_id,
            contract=contract,
            rpc_url=rpc_url,
            confirmations=confirmations,
        )
    if log_key:
        pinned = TrustedLog(public_key=parse_public_key(log_key), chain=named)
        root = root.merged(TrustRoot(logs=(pinned,)))
    elif named is not None:
        root = root.merged(TrustRoot(chains=(named,)))
    return root, view


def _open_chain(rpc_url: str, contract: str) -> ChainReader:
    from anchors import open_reader  # noqa: PLC0415 - web3 is only needed for chain checks

    return open_reader(rpc_url, contract)


def chain_of_trust_file(root: TrustRoot, log_id: str, anchor: Anchor | None) -> ChainReader | None:
    """Read access to the trusted chain a proof says it is anchored on, through the endpoint
    the trust file names for it. The proof only selects among chains the verifier trusts."""
    if anchor is None:
        return None
    for chain in root.chains_for(log_id):
        if chain.rpc_url and chain.names(anchor.chain_id, anchor.contract):
            return _open_chain(chain.rpc_url, chain.contract)
    return None


def print_report(name: str, report: VerificationReport) -> None:
    table = Table(title=name, show_lines=False)
    table.add_column("check")
    table.add_column("result")
    table.add_column("detail", overflow="fold")
    marks = {True: "[green]passed[/]", False: "[red]FAILED[/]", None: "[yellow]not checked[/]"}
    for check in report.checks:
        table.add_row(check.name, marks[check.passed], check.detail)
    out.print(table)
    out.print(_HEADLINE[report.level])
    out.print(report.reason, highlight=False, soft_wrap=True)
    if report.trust:
        out.print(f"trust root: {json.dumps(report.trust)}", highlight=False, soft_wrap=True)
