"""SUNLIGHT_CHAIN_FAILOVER_URLS: the other organisations' nodes, after the notary's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from anchors.failover import FailoverHTTPProvider
from api.service.anchoring import open_backend
from api.settings import Settings
from notary.errors import AnchorError

KEY = "0x" + "11" * 32
CONTRACT = "0x" + "22" * 20


def test_failover_urls_are_a_comma_separated_list(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, chain_failover_urls=" http://b:8545, ,http://c:8545 ")
    assert settings.failover_urls == ["http://b:8545", "http://c:8545"]
    assert Settings(data_dir=tmp_path).failover_urls == []


def test_the_notarys_own_node_comes_first_then_the_others(tmp_path: Path) -> None:
    backend = open_backend(
        Settings(
            data_dir=tmp_path,
            chain_rpc_url="http://own:8545",
            chain_failover_urls="http://audit:8545,http://discipline:8545",
            contract_address=CONTRACT,
            anchor_private_key=KEY,
        )
    )
    provider = backend.w3.provider  # type: ignore[attr-defined]
    assert isinstance(provider, FailoverHTTPProvider)
    assert provider.urls == ("http://own:8545", "http://audit:8545", "http://discipline:8545")
    assert provider.current_url == "http://own:8545"


def test_failover_urls_without_the_notarys_own_node_are_refused(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        chain_failover_urls="http://audit:8545",
        contract_address=CONTRACT,
        anchor_private_key=KEY,
    )
    with pytest.raises(AnchorError, match="SUNLIGHT_CHAIN_RPC_URL is empty"):
        open_backend(settings)
