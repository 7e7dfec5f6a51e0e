"""The quarterly evaluation of a cell's meetings against a criteria framework, as plain functions.

Every three months the ward inspects the quality of its cells' meetings. Provinces grade on a 100-point
sheet; a framework (the `[evaluation]` config) lists the criteria, each with its maximum points, and
either computed from what the cells recorded (attendance, a meeting every month, the minimum length, a
thematic meeting in the quarter, members speaking, recommendations' answers reported, the ward member
attending) or scored by the ward's inspector (manual). The total is classified (by default Tốt ≥ 90,
Khá 70–89, Trung bình 50–69, Kém < 50); a class may also need full marks on some criteria (Tốt: attendance,
length, members speaking and the minutes): a total that reaches it without them falls to the next class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from bot.rules.reports import CellMonth

# Where a criterion's points come from.
MANUAL = "manual"
ATTENDANCE = "attendance"          # meetings whose roll calls met the attendance target
EVERY_MONTH = "every_month"        # months of the quarter with a meeting
LENGTH = "length"                  # meetings at least as long as the minimum
THEMATIC = "thematic"              # a thematic meeting in the quarter (all or nothing)
SPEAKERS = "speakers"              # meetings where at least `min_speakers` members spoke
RECOMMENDATIONS = "recommendations"  # meetings that reported the answers received (none due counts)
WARD_MEMBER = "ward_member"        # meetings the ward committee member in charge attended
COMPUTED = (ATTENDANCE, EVERY_MONTH, LENGTH, THEMATIC, SPEAKERS, RECOMMENDATIONS, WARD_MEMBER)
SOURCES = (MANUAL,) + COMPUTED


@dataclass(frozen=True)
class Criterion:
    key: str
    name_vi: str
    name_en: str
    points: float                  # maximum
    source: str = MANUAL

    def name(self, language: str) -> str:
        return self.name_vi if language == "vi" else self.name_en

    @property
    def manual(self) -> bool:
        return self.source == MANUAL


@dataclass(frozen=True)
class Grade:
    key: str
    name_vi: str
    name_en: str
    min_points: float
    needs_full: tuple[str, ...] = ()   # criterion keys that must have full marks

    def name(self, language: str) -> str:
        return self.name_vi if language == "vi" else self.name_en


@dataclass(frozen=True)
class Framework:
    criteria: tuple[Criterion, ...]
    grades: tuple[Grade, ...]          # highest first; the last has the lowest threshold
    min_speakers: int = 3

    @property
    def max_points(self) -> float:
        return sum(c.points for c in self.criteria)

    @property
    def manual(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.manual)

    def criterion(self, key: str) -> Criterion | None:
        return next((c for c in self.criteria if c.key == key), None)


# Why a framework cannot be used (`check`), each with the criterion or class concerned ('' if none).
NO_CRITERIA, DUPLICATE_KEY, UNKNOWN_SOURCE, NO_POINTS, MISSING_NAME = (
    "no_criteria", "duplicate_key", "unknown_source", "no_points", "missing_name")
NO_CLASSES, CLASS_ORDER, UNKNOWN_NEEDS_FULL, NEGATIVE_SPEAKERS = (
    "no_classes", "class_order", "unknown_needs_full", "negative_speakers")


def check(framework: Framework) -> list[tuple[str, str]]:
    """What is wrong with a framework, as (problem, the criterion or class key); empty when usable."""
    problems = []
    keys = [c.key for c in framework.criteria]
    if not framework.criteria:
        problems.append((NO_CRITERIA, ""))
    for key in sorted({key for key in keys if keys.count(key) > 1}):
        problems.append((DUPLICATE_KEY, key))
    for c in framework.criteria:
        if c.source not in SOURCES:
            problems.append((UNKNOWN_SOURCE, c.key))
        if c.points <= 0:
            problems.append((NO_POINTS, c.key))
        if not c.key or not c.name_vi or not c.name_en:
            problems.append((MISSING_NAME, c.key))
    if not framework.grades:
        problems.append((NO_CLASSES, ""))
    thresholds = [g.min_points for g in framework.grades]
    if thresholds != sorted(thresholds, reverse=True) or len(set(thresholds)) != len(thresholds):
        problems.append((CLASS_ORDER, ""))
    for g in framework.grades:
        for key in g.needs_full:
            if key not in keys:
                problems.append((UNKNOWN_NEEDS_FULL, g.key))
    if framework.min_speakers < 0:
        problems.append((NEGATIVE_SPEAKERS, ""))
    return problems


@dataclass(frozen=True)
class Computed:
    """A computed criterion's points and how: `done` of `of` (meetings or months) qualified."""

    points: float
    done: int
    of: int


def _fraction(points: float, done: int, of: int) -> Computed:
    return Computed(round(points * done / of, 1) if of else 0.0, done, of)


def compute(criterion: Criterion, months: Sequence[str], records: Sequence[CellMonth],
            min_speakers: int = 3) -> Computed:
    """A computed criterion over one cell's records of the quarter's `months` (missing months: no
    meeting). Points are the maximum times the share of the quarter's months that qualified, so a month
    without a meeting costs every criterion its share; the thematic meeting is all or nothing."""
    by_month = {r.month: r for r in records if r.month in months and r.reported}
    held = [by_month[m] for m in months if m in by_month]
    count = len(months)
    source = criterion.source
    if source == EVERY_MONTH:
        return _fraction(criterion.points, len(held), count)
    if source == THEMATIC:
        done = int(any(r.thematic for r in held))
        return Computed(criterion.points if done else 0.0, done, 1)
    qualifies = {
        ATTENDANCE: lambda r: r.start.meets_target and (r.end is None or r.end.meets_target),
        LENGTH: lambda r: bool(r.length_ok),
        SPEAKERS: lambda r: (r.speakers or 0) >= min_speakers,
        RECOMMENDATIONS: lambda r: r.answers_reported is not False,
        WARD_MEMBER: lambda r: bool(r.ward_member_attended),
    }.get(source)
    if qualifies is None:
        raise ValueError(f"criterion {criterion.key!r} is not computed ({source!r})")
    return _fraction(criterion.points, sum(1 for r in held if qualifies(r)), count)


@dataclass(frozen=True)
class Line:
    criterion: Criterion
    points: float | None               # None: a manual criterion not scored yet
    computed: Computed | None = None

    @property
    def full(self) -> bool:
        return self.points is not None and self.points >= self.criterion.points


@dataclass(frozen=True)
class Result:
    cell_id: int
    quarter: str
    lines: tuple[Line, ...]
    total: float
    grade: Grade | None                # None until every manual criterion is scored

    @property
    def complete(self) -> bool:
        return all(line.points is not None for line in self.lines)

    @property
    def missing(self) -> tuple[Criterion, ...]:
        return tuple(line.criterion for line in self.lines if line.points is None)


def classify(framework: Framework, total: float, full: set[str] | frozenset[str]) -> Grade:
    """The highest class whose threshold the total reaches and whose required criteria are all full."""
    for grade in framework.grades:
        if total >= grade.min_points and all(key in full for key in grade.needs_full):
            return grade
    return framework.grades[-1]


def evaluate(framework: Framework, cell_id: int, quarter: str, months: Sequence[str],
             records: Sequence[CellMonth], manual: Mapping[str, float]) -> Result:
    """One cell's evaluation: computed criteria from its records, manual ones from the inspector's scores
    (`manual`: criterion key -> points). Classified only once complete."""
    lines = []
    for criterion in framework.criteria:
        if criterion.manual:
            lines.append(Line(criterion, manual.get(criterion.key)))
        else:
            computed = compute(criterion, months, records, framework.min_speakers)
            lines.append(Line(criterion, computed.points, computed))
    total = round(sum(line.points or 0 for line in lines), 1)
    complete = all(line.points is not None for line in lines)
    grade = classify(framework, total, {line.criterion.key for line in lines if line.full}) if complete else None
    return Result(cell_id, quarter, tuple(lines), total, grade)


def parse_score(text: str, criterion: Criterion) -> float | None:
    """A typed score for a manual criterion: a number 0..max (a comma as the decimal mark is fine, at
    most one decimal); None when it is not one."""
    cleaned = text.strip().replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    if value != value or not 0 <= value <= criterion.points or round(value, 1) != value:
        return None
    return value


def score_choices(criterion: Criterion, steps: int = 5) -> list[float]:
    """Buttons offered for a manual criterion: 0 to the maximum in a few even steps (whole points where
    possible), the maximum first so the common case is one tap."""
    top = criterion.points
    if top <= steps:
        values = [float(v) for v in range(int(top), -1, -1)]
        if top != int(top):
            values.insert(0, top)
    else:
        values = sorted({round(top * i / steps) * 1.0 for i in range(steps + 1)} | {top}, reverse=True)
    return values
