"""SUNLIGHT_LIFECYCLE_RULES: a JSON or TOML file read at start; absent settings keep their
defaults, and a file that cannot be read or holds a bad rule stops the server with a
SettingsError naming the setting and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.service.lifecycle import rules_from_settings
from api.settings import Settings, SettingsError
from notary.lifecycle import DEFAULT_RULES, Region

QINGHE = Region(county="西泉县", township="清河镇", village="李庄村")


def _rules(tmp_path: Path, name: str, text: str) -> Settings:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return Settings(data_dir=tmp_path, lifecycle_rules=path)


def test_no_file_means_the_default_rules() -> None:
    assert rules_from_settings(Settings()) == DEFAULT_RULES


def test_a_toml_file_sets_a_village_ceiling_and_keeps_the_other_defaults(tmp_path: Path) -> None:
    settings = _rules(
        tmp_path,
        "rules.toml",
        'notice_min_days = 7\n[ceiling_overrides_fen]\n"清河镇/李庄村" = 20000000\n',
    )
    rules = rules_from_settings(settings)
    assert rules.notice_min_days == 7
    assert rules.ceiling_for(QINGHE) == (20_000_000, "ceiling_overrides_fen['清河镇/李庄村']")
    assert rules.acceptance_quorum == DEFAULT_RULES.acceptance_quorum


def test_a_json_file_is_read(tmp_path: Path) -> None:
    rules = rules_from_settings(_rules(tmp_path, "rules.json", '{"notice_min_days": 3}'))
    assert rules.notice_min_days == 3


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        ("rules.json", '{"notice_min_days": -1}', "notice_min_days"),
        ("rules.json", '{"small_project_ceiling_fen": "lots"}', "small_project_ceiling_fen"),
        (
            "rules.toml",
            "[[acceptance_quorum]]\nname = 'x'\nrole = 'mayor'\nside = 'owner'\n",
            "role",
        ),
        ("rules.json", '{"notice_min_days": 3, "notice_min_days": 9}', "duplicate key"),
        ("rules.json", '{"notice_days": 3}', "unknown field"),
        ("rules.toml", "notice_min_days = \n", "TOML"),
    ],
)
def test_a_bad_file_is_a_settings_error_naming_the_field(
    tmp_path: Path, name: str, text: str, says: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        rules_from_settings(_rules(tmp_path, name, text))
    assert "SUNLIGHT_LIFECYCLE_RULES" in str(caught.value) and says in str(caught.value)


def test_a_missing_file_is_a_settings_error(tmp_path: Path) -> None:
    settings = Settings(lifecycle_rules=tmp_path / "absent.json")
    with pytest.raises(SettingsError, match=r"SUNLIGHT_LIFECYCLE_RULES: .*absent\.json"):
        rules_from_settings(settings)
