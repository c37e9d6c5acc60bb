"""FailoverHTTPProvider against small JSON-RPC servers on loopback: each answers ``web3_clientVersion``
with its own name, so a test sees which node served a request."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from web3 import Web3

from anchors.chain import connect_rpc
from anchors.failover import FailoverHTTPProvider
from notary.errors import ChainUnavailableError
from tests.support.net import free_port


class _Node:
    """A JSON-RPC server named ``name`` on ``port``, stoppable and restartable on that port."""

    def __init__(self, name: str, port: int, status: int = 200, error: str = "") -> None:
        self.name, self.port, self.status, self.error = name, port, status, error
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> _Node:
        node = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                answer: dict[str, object] = {"result": node.name}
                if node.error:
                    answer = {"error": {"code": -32000, "message": node.error}}
                body = json.dumps({"jsonrpc": "2.0", "id": request["id"], **answer})
                self.send_response(node.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture
def nodes() -> Iterator[list[_Node]]:
    started = [_Node(name, free_port()).start() for name in ("own", "audit", "discipline")]
    yield started
    for node in started:
        node.stop()


def _served_by(w3: Web3) -> str:
    return str(w3.provider.make_request("web3_clientVersion", [])["result"])  # type: ignore[arg-type]


def test_requests_go_to_the_first_node_while_it_answers(nodes: list[_Node]) -> None:
    w3 = Web3(FailoverHTTPProvider([n.url for n in nodes]))
    assert [_served_by(w3) for _ in range(3)] == ["own"] * 3


def test_an_unreachable_node_is_left_for_the_next_and_the_first_tried_again_later(
    nodes: list[_Node],
) -> None:
    now = [0.0]
    provider = FailoverHTTPProvider(
        [n.url for n in nodes], retry_first_after_s=60, monotonic=lambda: now[0]
    )
    w3 = Web3(provider)
    own, audit, _ = nodes
    own.stop()
    assert _served_by(w3) == "audit" and provider.current_url == audit.url
    audit.stop()
    assert _served_by(w3) == "discipline"
    audit.start()
    own.start()
    now[0] = 59.0  # stays where it is until the retry period has passed
    assert _served_by(w3) == "discipline"
    now[0] = 61.0
    assert _served_by(w3) == "own" and provider.current_url == own.url


def test_an_http_error_counts_as_unreachable(nodes: list[_Node]) -> None:
    broken = _Node("proxy", free_port(), status=502).start()
    try:
        w3 = Web3(FailoverHTTPProvider([broken.url, nodes[1].url]))
        assert _served_by(w3) == "audit"
    finally:
        broken.stop()


def test_a_node_not_ready_yet_is_left_for_the_next(nodes: list[_Node]) -> None:
    """geth, just started, answers receipts with an error until its transaction index is built."""
    starting = _Node("starting", free_port(), error="transaction indexing is in progress").start()
    try:
        provider = FailoverHTTPProvider([starting.url, nodes[1].url])
        assert _served_by(Web3(provider)) == "audit"
        alone = FailoverHTTPProvider([starting.url])  # no other node: its answer, as it is
        reply = alone.make_request("web3_clientVersion", [])  # type: ignore[arg-type]
        assert "indexing is in progress" in str(reply["error"])
    finally:
        starting.stop()


def test_when_no_node_answers_the_chain_is_unavailable(nodes: list[_Node]) -> None:
    for node in nodes:
        node.stop()
    w3 = Web3(FailoverHTTPProvider([n.url for n in nodes]))
    with pytest.raises(requests.exceptions.ConnectionError):
        _served_by(w3)
    chain = connect_rpc([n.url for n in nodes], "0x" + "11" * 20)
    with pytest.raises(ChainUnavailableError, match="cannot reach the Ethereum node at"):
        chain.block_number()
