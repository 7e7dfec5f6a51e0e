"""`[zalo]` in the configuration (bot/core/config.py)."""

import pytest

from bot.core.config import ConfigError, load_config


def write(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_zalo_token_comes_from_the_environment_first(tmp_path):
    path = write(tmp_path, '[zalo]\ntoken = "1:from-file"\n')
    assert load_config(path, environ={}).zalo.token == "1:from-file"
    assert load_config(path, environ={"SHCB_ZALO_TOKEN": "2:from-env"}).zalo.token == "2:from-env"


def test_the_token_and_secret_are_not_in_the_configs_repr(tmp_path):
    config = load_config(write(tmp_path, '[zalo]\ntoken = "1:secret-token"\n[zalo.webhook]\n'
                                         'secret_token = "a-webhook-secret"\n'), environ={})
    assert "secret-token" not in repr(config) and "a-webhook-secret" not in repr(config)


@pytest.mark.parametrize("text, key", [
    ('[zalo.webhook]\nsecret_token = "short"\n', "zalo.webhook.secret_token"),
    (f'[zalo.webhook]\nsecret_token = "{"x" * 257}"\n', "zalo.webhook.secret_token"),
    ('[zalo]\nmode = "push"\n', "zalo.mode"),
    ('[zalo]\nbackoff_seconds = 10\nbackoff_max_seconds = 5\n', "zalo.backoff_max_seconds"),
    ('[zalo]\nper_chat_burst = 0\n', "zalo.per_chat_burst"),
    ('[zalo]\nbase_url = "bot-api.zaloplatforms.com"\n', "zalo.base_url"),
    ('[zalo]\ncolour = "blue"\n', "zalo.colour"),
])
def test_a_bad_zalo_key_is_one_line_naming_it(tmp_path, text, key):
    with pytest.raises(ConfigError) as raised:
        load_config(write(tmp_path, text), environ={})
    message = str(raised.value)
    assert key in message and "\n" not in message
