"""``sunlight verify-project``: judge a project proof (``sunlight-project-proof/1``) against a trust
root the person at the keyboard chose — the options and exit statuses of ``sunlight verify``.

A verified proof says the project had exactly these records, in this order, as of the proof's tree
size; ``--at-least N`` and ``--current`` (the latest size anchored on the trusted chain) refuse a
proof that is older than the verifier needs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import out
from api.cli.verify import (
    EXIT,
    ChainId,
    Confirmations,
    Contract,
    JsonOutput,
    LogKey,
    RpcUrl,
    TrustFile,
    chain_of_trust_file,
    print_report,
    trust_root,
)
from notary.completeness import parse_project_proof, verify_project_proof


def verify_project(
    proof: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    log_key: LogKey = None,
    trust: TrustFile = None,
    rpc_url: RpcUrl = None,
    contract: Contract = None,
    chain_id: ChainId = None,
    confirmations: Confirmations = 1,
    at_least: Annotated[
        int, typer.Option(min=0, help="Refuse a proof as of a tree size below this.")
    ] = 0,
    current: Annotated[
        bool,
        typer.Option(
            help="Refuse a proof older than the latest size anchored on the trusted chain."
        ),
    ] = False,
    json_output: JsonOutput = False,
) -> None:
    """Verify that a project proof lists every record of the project, unchanged and in order, up to
    its head as of an anchored checkpoint, against the trust root you name."""
    parsed = parse_project_proof(proof.read_bytes())
    root, view = trust_root(log_key, trust, rpc_url, contract, chain_id, confirmations)
    if view is None:
        view = chain_of_trust_file(root, parsed.checkpoint.log_id, parsed.anchor)
    report = verify_project_proof(
        parsed, trust=root, chain=view, require_current=current, min_tree_size=at_least
    )
    if json_output:
        print(json.dumps(report.to_json()))
    else:
        print_report(str(proof), report.report)
        out.print(
            f"as of tree size {report.tree_size} (checkpoint of {report.timestamp})",
            highlight=False,
        )
    raise typer.Exit(EXIT[report.level])
