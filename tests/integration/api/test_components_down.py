"""Real components going away: clear 503s, nothing partial, ingestion goes on without the chain."""

import socket

from tests.conftest import require
from tests.integration.api.conftest import make_api
from tests.support.kubo import running_kubo


def test_uploads_get_503_while_the_ipfs_node_is_down_and_nothing_is_left(tmp_path):
    with running_kubo() as kubo:
        require(kubo is not None, "the Kubo (ipfs) binary")
        assert kubo is not None
        for api in make_api(tmp_path, ipfs_api=kubo.api_url):
            first = api.submit(file=b"stored in IPFS")
            assert first.status_code == 201, first.text
            cid = api.client.get(f"/v1/records/{first.json()['id']}").json()["record"]["content"][
                "cid"
            ]
            assert cid.startswith("bafk")
            kubo.stop()
            down = api.submit(file=b"while the node is down")
            assert down.status_code == 503, down.text
            assert down.json()["error"] == "blob_store_unavailable"
            assert api.client.get("/healthz").json()["log_size"] == 1
            fetch = api.client.get(f"/v1/records/{first.json()['id']}/file")
            assert fetch.status_code == 503 and fetch.json()["error"] == "blob_store_unavailable"


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_records_are_accepted_while_the_chain_is_unreachable(tmp_path):
    url = f"http://127.0.0.1:{_dead_port()}"
    for api in make_api(
        tmp_path,
        chain_rpc_url=url,
        contract_address="0x" + "11" * 20,
        anchor_private_key="0x" + "22" * 32,
    ):
        accepted = api.submit(file=b"evidence")
        assert accepted.status_code == 201
        anchor = api.client.post("/v1/anchor", headers=api.auth("admin"))
        assert anchor.status_code == 503, anchor.text
        assert anchor.json()["error"] == "chain_unavailable"
        pending = api.client.get(f"/v1/records/{accepted.json()['id']}/proof")
        assert pending.status_code == 202
