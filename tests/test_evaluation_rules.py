"""The quarterly evaluation (bot/rules/evaluation.py): computed criteria, manual scores, thresholds and
classes, the default framework of the config, and broken frameworks refused."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, strategies as st

from bot.core.config import EvaluationConfig
from bot.rules import evaluation as ev
from bot.rules.evaluation import Criterion, Framework, Grade
from bot.rules.reports import BOTH, REGULAR, THEMATIC, CellMonth, Count

FRAMEWORK = EvaluationConfig().framework()
MONTHS = ("2026-10", "2026-11", "2026-12")
FULL_MANUAL = {"preparation": 10, "content": 15, "minutes": 10, "resolution": 5}


def month(m, *, start=(30, 30, True), end=(30, 30, True), length_ok=True, kind=REGULAR, speakers=5,
          ward_member=True, answers=None):
    return CellMonth(1, "A", 1, "W", m, Count(*start) if start else None, Count(*end) if end else None,
                     length_ok=length_ok, kind=kind, speakers=speakers, ward_member_attended=ward_member,
                     answers_reported=answers)


PERFECT = [month("2026-10", kind=THEMATIC), month("2026-11"), month("2026-12", kind=BOTH)]


def points(result, key):
    return next(line.points for line in result.lines if line.criterion.key == key)


def test_default_framework_is_the_100_point_sheet():
    assert FRAMEWORK.max_points == 100
    assert [g.name_vi for g in FRAMEWORK.grades] == ["Tốt", "Khá", "Trung bình", "Kém"]
    assert [g.min_points for g in FRAMEWORK.grades] == [90, 70, 50, 0]
    assert FRAMEWORK.grades[0].needs_full == ("attendance", "length", "speakers", "minutes")
    assert {c.key for c in FRAMEWORK.manual} == set(FULL_MANUAL)
    assert ev.check(FRAMEWORK) == []


def test_a_perfect_quarter_is_good():
    result = ev.evaluate(FRAMEWORK, 1, "2026-Q4", MONTHS, PERFECT, FULL_MANUAL)
    assert result.complete and result.total == 100 and result.grade.key == "good"


def test_computed_criteria_by_hand():
    records = [
        month("2026-10", end=(26, 30, False), speakers=2, ward_member=False, answers=False),
        month("2026-11", length_ok=False),
        # December: no meeting
    ]
    result = ev.evaluate(FRAMEWORK, 1, "2026-Q4", MONTHS, records, FULL_MANUAL)
    lines = {line.criterion.key: line for line in result.lines}
    assert lines["every_month"].computed == ev.Computed(round(5 * 2 / 3, 1), 2, 3)
    assert lines["attendance"].points == 5.0            # 1 of 3 months at target (end roll call below)
    assert lines["length"].points == 3.3                 # 1 of 3
    assert lines["speakers"].points == 3.3               # 1 of 3 with at least 3 speakers
    assert lines["ward_member"].points == 1.7            # 1 of 3
    assert lines["recommendations"].points == 1.7        # November had none due: counts
    assert lines["thematic"].points == 0 and lines["thematic"].computed.of == 1
    assert result.total == round(3.3 + 5 + 3.3 + 3.3 + 1.7 + 1.7 + 0 + 40, 1)
    assert result.grade.key == "average"


def test_manual_scores_missing_means_no_class_yet():
    result = ev.evaluate(FRAMEWORK, 1, "2026-Q4", MONTHS, PERFECT, {"preparation": 10})
    assert not result.complete and result.grade is None
    assert [c.key for c in result.missing] == ["content", "minutes", "resolution"]


def test_good_needs_full_marks_on_the_minutes():
    manual = dict(FULL_MANUAL, minutes=9)
    result = ev.evaluate(FRAMEWORK, 1, "2026-Q4", MONTHS, PERFECT, manual)
    assert result.total == 99 and result.grade.key == "fair"


def test_good_needs_full_attendance():
    records = [replace(PERFECT[0], start=Count(26, 30, False))] + PERFECT[1:]
    result = ev.evaluate(FRAMEWORK, 1, "2026-Q4", MONTHS, records, FULL_MANUAL)
    assert result.total == 95 and result.grade.key == "fair"


@pytest.mark.parametrize("total, expected", [
    (100, "good"), (90, "good"), (89.9, "fair"), (70, "fair"), (69.9, "average"), (50, "average"),
    (49.9, "poor"), (0, "poor"),
])
def test_thresholds(total, expected):
    full = {c.key for c in FRAMEWORK.criteria}
    assert ev.classify(FRAMEWORK, total, full).key == expected


@given(st.floats(min_value=0, max_value=100, allow_nan=False))
def test_classes_are_monotonic(total):
    full = {c.key for c in FRAMEWORK.criteria}
    grade = ev.classify(FRAMEWORK, total, full)
    assert grade.min_points <= total
    higher = [g for g in FRAMEWORK.grades if g.min_points > grade.min_points]
    assert all(total < g.min_points for g in higher)


def test_configured_classes_and_thresholds():
    framework = Framework(
        (Criterion("a", "A", "A", 50, ev.ATTENDANCE), Criterion("b", "B", "B", 50)),
        (Grade("x", "X", "X", 80, ("b",)), Grade("y", "Y", "Y", 0)), min_speakers=1)
    result = ev.evaluate(framework, 1, "2026-Q4", MONTHS, PERFECT, {"b": 30})
    assert result.total == 80 and result.grade.key == "y"      # b not full
    result = ev.evaluate(framework, 1, "2026-Q4", MONTHS, PERFECT, {"b": 50})
    assert result.grade.key == "x"


def test_speakers_threshold_is_configurable():
    criterion = FRAMEWORK.criterion("speakers")
    records = [month(m, speakers=2) for m in MONTHS]
    assert ev.compute(criterion, MONTHS, records, min_speakers=3).points == 0
    assert ev.compute(criterion, MONTHS, records, min_speakers=2).points == 10


@pytest.mark.parametrize("framework, problem", [
    (Framework((), (Grade("g", "G", "G", 0),)), (ev.NO_CRITERIA, "")),
    (Framework((Criterion("a", "A", "A", 10, "astrology"),), (Grade("g", "G", "G", 0),)), (ev.UNKNOWN_SOURCE, "a")),
    (Framework((Criterion("a", "A", "A", 10), Criterion("a", "B", "B", 5)), (Grade("g", "G", "G", 0),)),
     (ev.DUPLICATE_KEY, "a")),
    (Framework((Criterion("a", "A", "A", 10),), (Grade("g", "G", "G", 0), Grade("h", "H", "H", 50))),
     (ev.CLASS_ORDER, "")),
    (Framework((Criterion("a", "A", "A", 10),), (Grade("g", "G", "G", 0, ("zz",)),)), (ev.UNKNOWN_NEEDS_FULL, "g")),
    (Framework((Criterion("a", "A", "A", 0),), (Grade("g", "G", "G", 0),)), (ev.NO_POINTS, "a")),
    (Framework((Criterion("a", "A", "", 5),), (Grade("g", "G", "G", 0),)), (ev.MISSING_NAME, "a")),
    (Framework((Criterion("a", "A", "A", 5),), ()), (ev.NO_CLASSES, "")),
])
def test_broken_frameworks_are_refused(framework, problem):
    assert problem in ev.check(framework)


@pytest.mark.parametrize("text, expected", [
    ("10", 10), ("7,5", 7.5), (" 0 ", 0), ("7.5", 7.5), ("11", None), ("-1", None), ("abc", None),
    ("7.25", None), ("nan", None), ("", None),
])
def test_typed_scores(text, expected):
    assert ev.parse_score(text, Criterion("m", "M", "M", 10)) == expected


def test_score_buttons():
    assert ev.score_choices(Criterion("m", "M", "M", 10)) == [10, 8, 6, 4, 2, 0]
    assert ev.score_choices(Criterion("m", "M", "M", 5)) == [5, 4, 3, 2, 1, 0]
    assert ev.score_choices(Criterion("m", "M", "M", 15))[0] == 15


@pytest.mark.parametrize("text, fragment", [
    ('[[evaluation.criteria]]\nkey = "a"\nname_vi = "A"\nname_en = "A"\npoints = 10\nsource = "x"\n',
     "'a'"),
    ('[[evaluation.criteria]]\nkey = "a"\nname_vi = "A"\nname_en = "A"\npoints = 10\ncolour = "red"\n',
     "evaluation.criteria[0].colour"),
    ('[evaluation]\nclasses = [{key = "g", name_vi = "G", name_en = "G", min_points = 0, needs_full = ["nope"]}]\n',
     "'g'"),
    ('[reports]\ndelivery_time = "7h"\n', "reports.delivery_time"),
    ('[reports]\ndelivery_day = 32\n', "reports.delivery_day"),
])
def test_config_errors_are_one_line(tmp_path, text, fragment):
    from bot.core.config import ConfigError, load_config

    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


def test_a_configured_framework_replaces_the_default(tmp_path):
    from bot.core.config import load_config

    path = tmp_path / "c.toml"
    path.write_text('[evaluation]\nmin_speakers = 2\n'
                    '[[evaluation.criteria]]\nkey = "a"\nname_vi = "Dự họp"\nname_en = "Attendance"\npoints = 60\n'
                    'source = "attendance"\n'
                    '[[evaluation.criteria]]\nkey = "m"\nname_vi = "Biên bản"\nname_en = "Minutes"\npoints = 40\n'
                    '[[evaluation.classes]]\nkey = "pass"\nname_vi = "Đạt"\nname_en = "Pass"\nmin_points = 60\n'
                    '[[evaluation.classes]]\nkey = "fail"\nname_vi = "Chưa đạt"\nname_en = "Fail"\nmin_points = 0\n',
                    encoding="utf-8")
    framework = load_config(path, environ={}).evaluation.framework()
    assert framework.min_speakers == 2 and framework.max_points == 100
    assert [c.source for c in framework.criteria] == ["attendance", "manual"]
    result = ev.evaluate(framework, 1, "2026-Q4", MONTHS, PERFECT, {"m": 0})
    assert result.total == 60 and result.grade.name("vi") == "Đạt"
