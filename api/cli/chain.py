"""Chain commands of the ``sunlight`` CLI: ``contract deploy|status`` and ``anchorer``.

Registered in :mod:`api.cli`::

    app.add_typer(contract_app, name="contract")
    app.command("anchorer")(anchorer_command)
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated, Optional

import typer

from api.settings import Settings
from notary.errors import AnchorError

__all__ = ["anchorer_command", "contract_app"]

contract_app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="The EvidenceAnchor contract on an EVM chain."
)

RpcUrl = Annotated[str, typer.Option("--rpc-url", help="Ethereum JSON-RPC URL.")]


@contract_app.command("deploy")
def deploy(
    rpc_url: RpcUrl,
    private_key: Annotated[
        str,
        typer.Option(
            "--private-key",
            envvar="SUNLIGHT_ANCHOR_PRIVATE_KEY",
            help="Deploying account's key (hex); default: SUNLIGHT_ANCHOR_PRIVATE_KEY.",
        ),
    ],
    anchorer: Annotated[
        Optional[str],  # noqa: UP045 - typer needs Optional at runtime on 3.11
        typer.Option(help="Address given ANCHORER_ROLE (default: the deploying account)."),
    ] = None,
    admin: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Address given DEFAULT_ADMIN_ROLE (default: the deploying account)."),
    ] = None,
) -> None:
    """Deploy EvidenceAnchor and print its address (set it as SUNLIGHT_CONTRACT_ADDRESS)."""
    from eth_account import Account  # noqa: PLC0415 - web3 only for chain commands
    from web3 import Web3  # noqa: PLC0415
    from web3.middleware import ExtraDataToPOAMiddleware  # noqa: PLC0415

    from anchors.chain import deploy_contract  # noqa: PLC0415

    try:
        account = Account.from_key(private_key)
    except (ValueError, TypeError) as e:
        raise AnchorError("--private-key is not a valid secp256k1 private key (hex)") from e
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 30}))
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    address = deploy_contract(
        w3, account, admin=admin or account.address, anchorer=anchorer or account.address
    )
    print(address)


@contract_app.command("status")
def status(
    rpc_url: RpcUrl,
    contract: Annotated[str, typer.Option(help="EvidenceAnchor address.")],
) -> None:
    """Print the contract's latest anchored checkpoint as JSON."""
    from anchors import open_reader  # noqa: PLC0415

    reader = open_reader(rpc_url, contract)
    size, root = reader.latest_checkpoint()
    print(
        json.dumps(
            {
                "chain_id": reader.chain_id,
                "contract": reader.contract_address,
                "tree_size": size,
                "root_hash": root.hex() if root else None,
                "block_number": reader.block_number(),
            }
        )
    )


def anchorer_command(
    data_dir: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--data-dir", help="Data directory (default: SUNLIGHT_DATA_DIR)."),
    ] = None,
    once: Annotated[bool, typer.Option(help="Anchor what is waiting now, then exit.")] = False,
) -> None:
    """Run the anchorer: publish signed checkpoints and anchor them on chain (own process).

    Only one anchorer runs per database; a second one waits for the lock. SIGTERM or Ctrl-C
    stops it after the current round.
    """
    from api.service.anchoring import make_anchorer, open_backend  # noqa: PLC0415
    from api.service.notary import Notary  # noqa: PLC0415

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = Settings(data_dir=data_dir) if data_dir else Settings()
    notary = Notary.open(settings)
    backend = open_backend(settings)
    anchorer = make_anchorer(notary, backend)
    try:
        if once:
            result = anchorer.run_once(force=True)
            anchored = {"anchored": True, **result.as_json()} if result else {"anchored": False}
            print(json.dumps(anchored))
            return
        stop = threading.Event()

        def _stop(_signum: int, _frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        anchorer.run_forever(stop)
    finally:
        anchorer.close()
        backend.close()
        notary.close()
