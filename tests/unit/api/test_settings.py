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
