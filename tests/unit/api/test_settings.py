import pytest
from pydantic import ValidationError

from api.settings import Settings


def test_defaults_are_the_embedded_components(tmp_path):
    s = Settings(data_dir=tmp_path)
    assert s.sqlalchemy_url == f"sqlite:///{(tmp_path / 'sunlight.db').resolve()}"
    assert s.chain_rpc_url == "" and s.ipfs_api == ""


def test_production_refuses_insecure_defaults(tmp_path):
    with pytest.raises(ValidationError, match=r"CHAIN_RPC_URL.*ADMIN_TOKEN"):
        Settings(environment="production", data_dir=tmp_path)
    Settings(
        environment="production",
        data_dir=tmp_path,
        chain_rpc_url="http://node:8545",
        admin_token="x" * 32,
    )


def test_secrets_do_not_print(tmp_path):
    s = Settings(
        data_dir=tmp_path, admin_token="very-secret-token", anchor_private_key="0xdeadbeef"
    )
    assert "very-secret-token" not in repr(s) and "deadbeef" not in str(s.model_dump())
