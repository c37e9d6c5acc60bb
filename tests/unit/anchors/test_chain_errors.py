"""Whatever a chain connection raises reaches callers as an AnchorError (a NotaryError), with the
original exception kept as its cause: never a raw web3, eth-tester or provider exception."""

from __future__ import annotations

from typing import Any

import pytest
from web3 import Web3
from web3.providers.base import BaseProvider

from anchors.chain import Web3Chain
from notary.errors import AnchorError, ChainUnavailableError, NotaryError

CONTRACT = "0x" + "11" * 20


class _Failing(BaseProvider):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def make_request(self, method: Any, params: Any) -> Any:
        raise self.error


def _chain(error: Exception) -> Web3Chain:
    return Web3Chain(Web3(_Failing(error)), CONTRACT, description="the test node")


def test_an_unexpected_exception_becomes_an_anchor_error_with_its_cause() -> None:
    boom = RuntimeError("the provider broke")
    with pytest.raises(AnchorError, match="failed unexpectedly: RuntimeError") as e:
        _chain(boom).block_number()
    assert isinstance(e.value, NotaryError)
    assert not isinstance(e.value, ChainUnavailableError)
    assert e.value.__cause__ is boom


def test_an_unreachable_node_stays_chain_unavailable() -> None:
    with pytest.raises(ChainUnavailableError, match="cannot reach the test node"):
        _chain(ConnectionRefusedError("refused")).latest_checkpoint()
