"""Chain anchoring: the EvidenceAnchor contract's backends, the anchorer and chain readers.

- :func:`open_reader` — a read-only :class:`~anchors.base.ChainReader` for verifiers (no key).
- :func:`open_backend` — the :class:`~anchors.base.AnchorBackend` the settings name: the embedded
  eth-tester chain in ``DATA_DIR/chain`` when ``CHAIN_RPC_URL`` is empty, else the node at that URL.
- :class:`~anchors.anchorer.Anchorer` and :class:`~api.storage.anchors.AnchorStore`.

web3 is imported only when a chain is actually opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from notary.errors import AnchorError

if TYPE_CHECKING:
    from anchors.base import AnchorBackend, ChainReader
    from api.settings import Settings

__all__ = ["open_backend", "open_reader"]


def open_reader(rpc_url: str, contract: str) -> ChainReader:
    """Read access to the EvidenceAnchor at ``contract`` through the node at ``rpc_url``.

    Asks the node at once: :class:`~notary.errors.ContractNotFoundError` when no contract is
    deployed at ``contract``, :class:`~notary.errors.ChainUnavailableError` when it cannot be reached.
    """
    from anchors.chain import connect_rpc  # noqa: PLC0415

    reader = connect_rpc(rpc_url, contract)
    reader.require_contract()
    return reader


def open_backend(settings: Settings) -> AnchorBackend:
    """The anchoring backend the settings describe (see the module docstring)."""
    key = settings.anchor_private_key.get_secret_value()
    if not settings.chain_rpc_url:
        from anchors.embedded import EmbeddedChain  # noqa: PLC0415

        chain = EmbeddedChain(settings.data_dir / "chain", private_key=key)
        return chain.backend
    from anchors.chain import connect_rpc  # noqa: PLC0415

    if not settings.contract_address:
        raise AnchorError(
            "SUNLIGHT_CONTRACT_ADDRESS is empty: deploy EvidenceAnchor with "
            "`sunlight contract deploy` and set it"
        )
    if not key:
        raise AnchorError(
            "SUNLIGHT_ANCHOR_PRIVATE_KEY is empty: the anchorer needs a key with ANCHORER_ROLE"
        )
    return connect_rpc(settings.chain_rpc_url, settings.contract_address, private_key=key)
