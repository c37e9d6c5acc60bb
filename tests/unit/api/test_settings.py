import pytest

from api.settings import Settings, SettingsError
from notary.errors import NotaryError


def test_defaults_are_the_embedded_components(tmp_path):
    s = Settings(data_dir=tmp_path)
    assert s.sqlalchemy_url == f"sqlite:///{(tmp_path / 'sunlight.db').resolve()}"
    assert s.chain_rpc_url == "" and s.ipfs_api == ""


def test_production_refuses_insecure_defaults(tmp_path):
    with pytest.raises(SettingsError, match=r"CHAIN_RPC_URL.*ADMIN_TOKEN.*BLOB_KEK"):
        Settings(environment="production", data_dir=tmp_path)
    Settings(
        environment="production",
        data_dir=tmp_path,
        chain_rpc_url="http://node:8545",
        admin_token="x" * 32,
        blob_kek="ab" * 32,
    )


def test_a_refused_setting_does_not_print_the_secrets_beside_it(tmp_path):
    with pytest.raises(SettingsError) as refused:
        Settings(environment="production", data_dir=tmp_path, admin_token="short", blob_kek="k1")
    assert "short" not in str(refused.value) and "k1" not in str(refused.value)
    with pytest.raises(SettingsError) as refused:
        Settings(data_dir=tmp_path, anchor_private_key="0xfeedface", anchor_interval_s=-1)
    assert "feedface" not in str(refused.value)


def test_a_refused_setting_is_a_notary_error_naming_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("SUNLIGHT_ANCHOR_INTERVAL_S", "-1")
    monkeypatch.setenv("SUNLIGHT_SM3", "maybe")
    with pytest.raises(NotaryError) as refused:
        Settings(data_dir=tmp_path)
    assert isinstance(refused.value, SettingsError) and refused.value.code == "settings_error"
    assert str(refused.value) == (
        "invalid settings: SUNLIGHT_SM3: must be a valid boolean, unable to interpret input; "
        "SUNLIGHT_ANCHOR_INTERVAL_S: must be greater than 0"
    )
    assert refused.value.__cause__ is None and refused.value.__suppress_context__


def test_secrets_do_not_print(tmp_path):
    s = Settings(
        data_dir=tmp_path, admin_token="very-secret-token", anchor_private_key="0xdeadbeef"
    )
    assert "very-secret-token" not in repr(s) and "deadbeef" not in str(s.model_dump())


def test_replicas_are_other_nodes_and_their_credentials_never_print(tmp_path):
    s = Settings(
        data_dir=tmp_path,
        ipfs_api="http://127.0.0.1:5001",
        ipfs_replicas=" http://ipfs.audit-bureau:5001 , https://sunlight:pw-42@ipfs.county:5001/,",
    )
    assert s.replica_urls == [
        "http://ipfs.audit-bureau:5001",
        "https://sunlight:pw-42@ipfs.county:5001/",
    ]
    for bad, rule in [
        ("ftp://sunlight:pw-42@ipfs.county", "each entry must be a Kubo RPC URL"),
        ("http://ipfs.county:5001/api/v0", "each entry must be a Kubo RPC URL"),
        ("http://127.0.0.1:5001/", "another node than SUNLIGHT_IPFS_API"),
        ("http://a:1,http://a:1/", "another node than SUNLIGHT_IPFS_API and each other"),
    ]:
        with pytest.raises(SettingsError, match=f"SUNLIGHT_IPFS_REPLICAS: .*{rule}") as refused:
            Settings(data_dir=tmp_path, ipfs_api="http://127.0.0.1:5001", ipfs_replicas=bad)
        assert "pw-42" not in str(refused.value)
