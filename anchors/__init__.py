"""Chain anchoring: the EvidenceAnchor contract's backends, the anchorer and chain readers.

- :func:`open_reader` — a read-only :class:`~anchors.base.ChainReader` for verifiers (no key).
- :func:`open_backend` — an :class:`~anchors.base.AnchorBackend`: the embedded eth-tester chain in
  ``data_dir/chain`` when no JSON-RPC URL is given, else the node at that URL.
- :class:`~anchors.anchorer.Anchorer`, which needs only the protocols of :mod:`anchors.ports`.

This package imports nothing of ``api`` (an import-linter contract in pyproject.toml keeps it so):
the service wires it (``api.service.anchoring``). web3 is imported only when a chain is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from notary.errors import AnchorError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from anchors.base import AnchorBackend, ChainReader

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


def open_backend(
    *,
    rpc_url: str,
    contract: str,
    private_key: str,
    data_dir: Path,
    failover_urls: Sequence[str] = (),
) -> AnchorBackend:
    """The anchoring backend: with an empty ``rpc_url`` the embedded chain in ``data_dir/chain``
    (``contract`` is ignored: the chain deploys its own; an empty ``private_key`` uses the chain's
    stored key), else EvidenceAnchor at ``contract`` on the node at ``rpc_url``, signing with
    ``private_key`` (both required). ``failover_urls`` are other nodes of the same chain, tried in
    turn when the one in use cannot be reached."""
    if not rpc_url:
        from anchors.embedded import EmbeddedChain  # noqa: PLC0415

        return EmbeddedChain(data_dir / "chain", private_key=private_key).backend
    from anchors.chain import connect_rpc  # noqa: PLC0415

    if not contract:
        raise AnchorError(
            f"no contract address for the node at {rpc_url}: deploy EvidenceAnchor with "
            "`sunlight contract deploy` and give its address"
        )
    if not private_key:
        raise AnchorError("no anchoring key: the anchorer needs a key with ANCHORER_ROLE")
    return connect_rpc([rpc_url, *failover_urls], contract, private_key=private_key)
