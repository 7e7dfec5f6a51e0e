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
        ("[sender]\noverall_per_second = 0\n", "sender.overall_per_second"),
        ("[sender]\nper_chat_interval_seconds = -1.0\n", "sender.per_chat_interval_seconds"),
        ("[sender]\nper_chat_burst = 0\n", "sender.per_chat_burst"),
        ("[sender]\nmax_in_flight = -4\n", "sender.max_in_flight"),
        ("[sender]\nnetwork_jitter_seconds = -0.01\n", "sender.network_jitter_seconds"),
        ("[sender]\nnetwork_jitter_seconds = 2.0\n", "sender.network_jitter_seconds: "),
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


def _cli(tmp_path, *args, lang="vi"):
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                          env={"SHCB_LANG": lang, "PATH": ""}, cwd=tmp_path, timeout=60)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_config_saved_in_a_legacy_encoding_is_one_line_and_exit_2(tmp_path, lang):
    path = tmp_path / "notepad.toml"
    path.write_bytes('[organisation]\nname = "Thành ủy Thanh Hóa"\n'.encode("cp1258", errors="replace"))
    result = _cli(tmp_path, "--config", str(path), "roster", "stats", lang=lang)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"{path}: ") and "UTF-8" in line and "UnicodeDecodeError" not in line
    assert ("không phải mã UTF-8" in line) == (lang == "vi")


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes('\ufeff[organisation]\nname = "Thành ủy Thanh Hóa"\n'.encode("utf-8"))
    assert load_config(path, environ={}).organisation.name == "Thành ủy Thanh Hóa"


def test_toml_and_os_problems_are_said_in_our_words(tmp_path):
    from bot.core import i18n

    before = i18n.cli_language()
    i18n.set_cli_language("vi")
    try:
        path = tmp_path / "broken.toml"
        path.write_text("[storage]\npath \n", encoding="utf-8")
        with pytest.raises(ConfigError) as caught:
            load_config(path, environ={})
        assert str(caught.value) == f"{path}: sai định dạng TOML ở dòng 2, cột 6"
        with pytest.raises(ConfigError) as caught:
            load_config(tmp_path / "nope.toml", environ={})
        assert str(caught.value) == f"{tmp_path / 'nope.toml'}: không đọc được: không có tệp hoặc thư mục này"
    finally:
        i18n.set_cli_language(before)


@pytest.mark.parametrize("key, value", [("overall_per_second", "0"), ("per_chat_interval_seconds", "-1.0"),
                                        ("max_attempts", "0"), ("retry_base_seconds", "-5"),
                                        ("poll_seconds", "0.0"), ("max_in_flight", "-4")])
def test_sender_values_must_be_positive(tmp_path, key, value):
    path = tmp_path / "c.toml"
    path.write_text(f"[sender]\n{key} = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert f"sender.{key}" in str(caught.value) and "0" in str(caught.value)
    path.write_text(f"[sender]\n{key} = 3\n", encoding="utf-8")
    assert getattr(load_config(path, environ={}).sender, key) == 3


def test_the_time_zone_is_defined_once_and_translators_follow_the_config(tmp_path):
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from bot.core import clock, i18n
    from bot.core.config import LocaleConfig

    assert LocaleConfig().timezone == clock.VIETNAM_TIME_ZONE and clock.VN_TZ == ZoneInfo(clock.VIETNAM_TIME_ZONE)
    noon_utc = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)
    assert i18n.get("en").format_time(noon_utc, "HH:mm") == "19:00"
    try:
        i18n.use_timezone(ZoneInfo("Europe/Paris"))
        assert i18n.get("en").format_time(noon_utc, "HH:mm") == "13:00"
        assert i18n.get("vi").format_datetime(noon_utc, "yyyy-MM-dd HH:mm") == "2026-12-03 13:00"
    finally:
        i18n.use_timezone(None)
    assert i18n.get("en").format_time(noon_utc, "HH:mm") == "19:00"


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


@pytest.mark.parametrize("value, fragment", [("0", "storage.busy_timeout_seconds"), ("-2.5", "-2.5"),
                                             ('"ten"', "storage.busy_timeout_seconds")])
def test_the_busy_timeout_must_be_a_positive_number(tmp_path, value, fragment):
    path = tmp_path / "c.toml"
    path.write_text(f"[storage]\nbusy_timeout_seconds = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert fragment in str(caught.value) and len(str(caught.value).splitlines()) == 1
    path.write_text("[storage]\nbusy_timeout_seconds = 2\n", encoding="utf-8")
    assert load_config(path, environ={}).storage.busy_timeout_seconds == 2.0
