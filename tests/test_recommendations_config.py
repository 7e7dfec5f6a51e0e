"""The `[recommendations]` config section: defaults, a custom list, and one-line errors naming the key."""

from __future__ import annotations

import pytest

from bot.core.config import DEFAULT_CATEGORIES, ConfigError, load_config


def _load(tmp_path, text):
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, environ={})


def test_defaults(tmp_path):
    config = _load(tmp_path, "")
    section = config.recommendations
    assert section.categories == DEFAULT_CATEGORIES and section.categories[0] == "An ninh trật tự"
    assert (section.overdue_days, section.urgent_overdue_days, section.digest_time, section.page_size) == \
        (7, 2, "17:00", 6)


def test_a_custom_list_is_kept_in_order_and_trimmed(tmp_path):
    config = _load(tmp_path, '[recommendations]\ncategories = [" Đất đai ", "Khác"]\ndigest_time = "06:30"\n')
    assert config.recommendations.categories == ["Đất đai", "Khác"]
    assert config.recommendations.digest_time == "06:30"


@pytest.mark.parametrize("text, key", [
    ("categories = []", "recommendations.categories"),
    ('categories = ["A", "A"]', "recommendations.categories"),
    ('categories = ["  "]', "recommendations.categories"),
    ('categories = ["' + "x" * 61 + '"]', "recommendations.categories"),
    ("categories = [1, 2]", "recommendations.categories"),
    ("overdue_days = 0", "recommendations.overdue_days"),
    ("urgent_overdue_days = 91", "recommendations.urgent_overdue_days"),
    ('digest_time = "24:00"', "recommendations.digest_time"),
    ('digest_time = "5pm"', "recommendations.digest_time"),
    ("page_size = 0", "recommendations.page_size"),
    ("digest = 1", "recommendations.digest"),
])
def test_bad_values_name_their_key(tmp_path, text, key):
    with pytest.raises(ConfigError) as error:
        _load(tmp_path, f"[recommendations]\n{text}\n")
    assert key in str(error.value) and "\n" not in str(error.value)
