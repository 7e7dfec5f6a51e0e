from __future__ import annotations

import subprocess
import sys

import pytest

from bot.core.config import Config, ConfigError, load_config


def test_built_in_defaults_without_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(None, environ={})
    assert config.locale.default == "vi"
    assert config.locale.timezone == "Asia/Ho_Chi_Minh"
    assert config.telegram.base_url == ""


def test_reads_a_file_and_the_environment_token_wins(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[telegram]\ntoken = "file-token"\nbase_url = "http://127.0.0.1:1/bot"\n'
                    '[storage]\npath = "x.db"\n[telegram.webhook]\nport = 9000\n', encoding="utf-8")
    config = load_config(path, environ={"SHCB_TELEGRAM_TOKEN": "env-token"})
    assert config.telegram.token == "env-token"
    assert config.telegram.base_url == "http://127.0.0.1:1/bot"
    assert config.telegram.webhook.port == 9000
    assert config.storage.path == "x.db"
    assert "env-token" not in repr(config)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("[telegram]\ntokn = 'x'\n", "telegram.tokn"),
        ("[nonsense]\na = 1\n", "nonsense"),
        ("[storage]\npath = 3\n", "storage.path"),
        ("[telegram.webhook]\nport = 'eighty'\n", "telegram.webhook.port"),
        ("[telegram.webhook]\nport = true\n", "telegram.webhook.port"),
        ("[locale]\ndefault = 'fr'\n", "locale.default"),
        ("[locale]\ntimezone = 'Mars/Olympus'\n", "locale.timezone"),
        ("[storage\n", "TOML"),
    ],
)
def test_errors_name_file_key_and_problem(tmp_path, text, fragment):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    message = str(caught.value)
    assert str(path) in message and fragment in message and "\n" not in message


def test_missing_explicit_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.toml", environ={})
    assert "nope.toml" in str(caught.value)


def test_example_config_is_valid_and_equals_the_defaults():
    from pathlib import Path

    example = Path(__file__).resolve().parent.parent / "config.example.toml"
    config = load_config(example, environ={})
    config.source = ""
    assert config == Config()


def test_cli_exits_2_with_one_line_and_starts_nothing(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[storage]\npath = 3\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "bot", "--config", str(path), "roster", "stats"],
                            capture_output=True, text=True, env={"SHCB_LANG": "en", "PATH": ""}, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "storage.path" in lines[0] and str(path) in lines[0]
    assert not list(tmp_path.glob("*.sqlite3"))


@pytest.mark.parametrize("text, fragment", [
    ("[meeting]\ntarget = 1.5\n", "meeting.target"),
    ("[meeting]\ntarget = 0\n", "meeting.target"),
    ("[meeting]\nminimum_minutes = 0\n", "meeting.minimum_minutes"),
    ("[meeting]\ncorrections_until_day = 32\n", "meeting.corrections_until_day"),
    ("[meeting]\nreopen_days = 'a week'\n", "meeting.reopen_days"),
    ("[reminders]\nthematic_time = '9h'\n", "reminders.thematic_time"),
])
def test_meeting_keys_are_checked(tmp_path, text, fragment):
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


def test_meeting_defaults_and_a_custom_target(tmp_path):
    assert (Config().meeting.target, Config().meeting.minimum_minutes, Config().meeting.minimum_minutes_both) == (
        0.9, 90, 120)
    path = tmp_path / "c.toml"
    path.write_text("[meeting]\ntarget = 0.85\ncorrections_until_day = 5\n", encoding="utf-8")
    config = load_config(path, environ={})
    assert (config.meeting.target, config.meeting.corrections_until_day) == (0.85, 5)
