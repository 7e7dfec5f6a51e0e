"""Configuration: a TOML file checked against typed sections, with built-in defaults when there is none.

Every key is declared here, with its type and default; `config.example.toml` documents each one. An
unreadable file, an unknown key or a wrong type raises `ConfigError` naming the file, the key and the
problem; the command line prints that one line and exits with status 2.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core import problems
from bot.core.clock import VIETNAM_TIME_ZONE
from bot.core.i18n import cli_gettext as _

TOKEN_ENV = "SHCB_TELEGRAM_TOKEN"
ZALO_TOKEN_ENV = "SHCB_ZALO_TOKEN"
ZALO_API = "https://bot-api.zaloplatforms.com/bot"
DEFAULT_PATH = Path("config.toml")


class ConfigError(Exception):
    """One line: file, key, problem."""


@dataclass
class WebhookConfig:
    url: str = ""
    listen: str = "127.0.0.1"
    port: int = field(default=8443, metadata={"range": (1, 65535)})
    secret_token: str = ""


@dataclass
class TelegramConfig:
    token: str = dataclasses.field(default="", repr=False)
    base_url: str = ""
    base_file_url: str = ""
    mode: str = "polling"
    bot_username: str = ""
    # How long one Bot API request may take (connecting, sending, waiting for the answer) before it is a
    # time-out: python-telegram-bot's 5 s. A time-out may have reached Telegram: it is retried (see README).
    request_timeout_seconds: float = field(default=5.0, metadata={"positive": True})
    webhook: WebhookConfig = field(default_factory=WebhookConfig)

    def request_timeouts(self) -> dict[str, float]:
        """`request_timeout_seconds` as python-telegram-bot's `HTTPXRequest` takes it."""
        seconds = self.request_timeout_seconds
        return {"connect_timeout": seconds, "read_timeout": seconds, "write_timeout": seconds}


@dataclass
class StorageConfig:
    path: str = "shcb.sqlite3"
    # How long a write waits for another program's lock on the database before it gives up (and the
    # person is told to try again in a moment).
    busy_timeout_seconds: float = field(default=10.0, metadata={"positive": True})


@dataclass
class LocaleConfig:
    default: str = "vi"
    timezone: str = VIETNAM_TIME_ZONE


@dataclass
class LoggingConfig:
    level: str = "INFO"


@dataclass
class OrganisationConfig:
    # The root unit (the city party committee) that roster wards hang under.
    name: str = "Thành ủy Thanh Hóa"


def positive(default):
    """A number key that must be more than 0 (a rate, an interval, a count)."""
    return field(default=default, metadata={"positive": True})


@dataclass
class SenderConfig:
    """The outbox sender (bot/delivery/sender.py)."""

    overall_per_second: float = positive(30.0)
    per_chat_interval_seconds: float = positive(1.0)
    per_chat_burst: int = positive(3)
    # Network jitter allowed for between two requests (less than a second; zero on a local network).
    network_jitter_seconds: float = field(default=0.05, metadata={"range": (0.0, 0.999)})
    max_attempts: int = positive(5)
    retry_base_seconds: float = positive(5.0)
    poll_seconds: float = positive(2.0)
    max_in_flight: int = positive(8)   # at most; as few as keep the pace (bot/delivery/in_flight.py)


@dataclass
class ZaloWebhookConfig:
    url: str = ""
    listen: str = "127.0.0.1"
    port: int = field(default=8444, metadata={"range": (1, 65535)})
    secret_token: str = dataclasses.field(default="", repr=False)


@dataclass
class ZaloConfig:
    """The Zalo channel (bot/channels/zalo/): its bot token, where its Bot API is, how updates come, and
    how fast the bot may send there (Zalo publishes no rate: these are cautious guesses)."""

    token: str = dataclasses.field(default="", repr=False)
    base_url: str = ZALO_API
    mode: str = "polling"
    overall_per_second: float = positive(10.0)
    per_chat_interval_seconds: float = positive(1.0)
    per_chat_burst: int = positive(1)
    # After a 429 "Quota exceeded" (which says nothing of how long to wait): wait this long, doubled at
    # each further 429 in a row, at most backoff_max_seconds.
    backoff_seconds: float = positive(5.0)
    backoff_max_seconds: float = positive(300.0)
    webhook: ZaloWebhookConfig = field(default_factory=ZaloWebhookConfig)

    def check(self, source: str) -> None:
        secret = self.webhook.secret_token
        if secret and not 8 <= len(secret) <= 256:
            raise ConfigError(_("{file}: {key}: must be 8 to 256 characters").format(
                file=source, key="zalo.webhook.secret_token"))
        if self.backoff_max_seconds < self.backoff_seconds:
            raise ConfigError(_("{file}: {key}: not allowed: {value!r}").format(
                file=source, key="zalo.backoff_max_seconds", value=self.backoff_max_seconds))
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(_("{file}: {key}: not allowed: {value!r}").format(
                file=source, key="zalo.base_url", value=self.base_url))


@dataclass
class DeliveryConfig:
    """Where the messages the bot sends on its own go, for people linked on several channels."""

    # False: only to the channel the person used last; True: to each of their channels.
    both_channels: bool = False


@dataclass
class RemindersConfig:
    """The reminder schedule (bot/rules/schedule.py): each rule's day of the month and Vietnam time."""

    committee_day: int = 2
    committee_time: str = "07:00"
    meeting_day: int = 3
    meeting_time: str = "07:00"
    followup_day: int = 4
    followup_time: str = "09:00"
    guidance_day: int = 1
    guidance_time: str = "08:00"
    report_day: int = 8
    report_time: str = "08:00"
    report_deadline_day: int = 10
    inspection_day: int = 1
    inspection_time: str = "08:00"
    inspection_months: list[int] = field(default_factory=lambda: [3, 6, 9, 12])
    thematic_day: int = 1                # in a quarter's last month: no thematic meeting yet in the quarter
    thematic_time: str = "09:00"
    tick_seconds: int = 60

    def check(self, source: str) -> None:
        """Days 1-31, times HH:MM, months 1-12: else ConfigError naming the key."""
        def fail(key: str, value) -> None:
            raise ConfigError(_("{file}: {key}: not allowed: {value!r}").format(
                file=source, key=f"reminders.{key}", value=value))

        for key, value in dataclasses.asdict(self).items():
            if key.endswith("_day") and not 1 <= value <= 31:
                fail(key, value)
            if key.endswith("_time"):
                hours, _sep, minutes = value.partition(":")
                if not (len(hours) == len(minutes) == 2 and (hours + minutes).isdigit()
                        and int(hours) < 24 and int(minutes) < 60):
                    fail(key, value)
        if not self.inspection_months or not all(1 <= month <= 12 for month in self.inspection_months):
            fail("inspection_months", self.inspection_months)
        if not 1 <= self.tick_seconds <= 3600:
            fail("tick_seconds", self.tick_seconds)


DEFAULT_CATEGORIES = ["An ninh trật tự", "Môi trường – vệ sinh", "Hạ tầng – giao thông", "Chính sách xã hội",
                      "Xây dựng Đảng", "Khác"]


@dataclass
class RecommendationsConfig:
    """Recommendations (kiến nghị, bot/rules/recommendations.py): the categories offered, the days a ward
    has before an item is flagged overdue, and when ward staff get the daily digest of new items."""

    categories: list[str] = field(default_factory=lambda: list(DEFAULT_CATEGORIES))
    overdue_days: int = 7
    urgent_overdue_days: int = 2
    digest_time: str = "17:00"
    page_size: int = 6

    def check(self, source: str) -> None:
        def fail(key: str, value) -> None:
            raise ConfigError(_("{file}: {key}: not allowed: {value!r}").format(
                file=source, key=f"recommendations.{key}", value=value))

        names = [name.strip() for name in self.categories]
        if not names or len(names) > 20 or not all(0 < len(name) <= 60 for name in names) \
                or len(set(names)) != len(names):
            fail("categories", self.categories)
        self.categories = names
        for key in ("overdue_days", "urgent_overdue_days"):
            if not 1 <= getattr(self, key) <= 90:
                fail(key, getattr(self, key))
        hours, _sep, minutes = self.digest_time.partition(":")
        if not (len(hours) == len(minutes) == 2 and (hours + minutes).isdigit() and int(hours) < 24
                and int(minutes) < 60):
            fail("digest_time", self.digest_time)
        if not 1 <= self.page_size <= 20:
            fail("page_size", self.page_size)


@dataclass
class ReportsConfig:
    """The monthly ward report (bot/rules/reports.py): when it goes to the ward's staff, where its files go."""

    delivery_day: int = 10
    delivery_time: str = "07:00"
    # where the XLSX and PNG files of the automatic delivery are written; empty: `reports/` beside the database
    files_dir: str = ""

    def check(self, source: str) -> None:
        if not 1 <= self.delivery_day <= 31:
            raise ConfigError(_("{file}: {key}: not allowed: {value!r}").format(
                file=source, key="reports.delivery_day", value=self.delivery_day))
        if not _is_time(self.delivery_time):
            raise ConfigError(_("{file}: {key}: not allowed: {value!r}").format(
                file=source, key="reports.delivery_time", value=self.delivery_time))


def _is_time(value: str) -> bool:
    hours, _sep, minutes = value.partition(":")
    return (len(hours) == len(minutes) == 2 and (hours + minutes).isdigit()
            and int(hours) < 24 and int(minutes) < 60)


# The default evaluation framework, shaped on the provinces' 100-point sheet (preparation 15, attendance 20,
# running the meeting 45, closing 20). Names are data of the framework, in both languages.
DEFAULT_CRITERIA = [
    {"key": "preparation", "name_vi": "Chuẩn bị nội dung, dự thảo nghị quyết", "name_en": "Preparation of the content and draft resolution", "points": 10, "source": "manual"},
    {"key": "every_month", "name_vi": "Sinh hoạt đủ các tháng trong quý", "name_en": "A meeting every month of the quarter", "points": 5, "source": "every_month"},
    {"key": "attendance", "name_vi": "Tỷ lệ đảng viên dự họp đạt chỉ tiêu", "name_en": "Attendance at the target", "points": 15, "source": "attendance"},
    {"key": "ward_member", "name_vi": "Đảng ủy viên phụ trách dự họp", "name_en": "Ward committee member in charge attended", "points": 5, "source": "ward_member"},
    {"key": "length", "name_vi": "Thời lượng sinh hoạt đủ quy định", "name_en": "Meeting length at the minimum", "points": 10, "source": "length"},
    {"key": "speakers", "name_vi": "Đảng viên tham gia phát biểu", "name_en": "Members speaking", "points": 10, "source": "speakers"},
    {"key": "thematic", "name_vi": "Sinh hoạt chuyên đề trong quý", "name_en": "A thematic meeting in the quarter", "points": 10, "source": "thematic"},
    {"key": "content", "name_vi": "Nội dung thiết thực, đúng trình tự", "name_en": "Relevant content, proper order of business", "points": 15, "source": "manual"},
    {"key": "recommendations", "name_vi": "Thông báo kết quả giải quyết kiến nghị", "name_en": "Answers to recommendations reported", "points": 5, "source": "recommendations"},
    {"key": "minutes", "name_vi": "Biên bản ghi đầy đủ, đúng mẫu", "name_en": "Complete minutes", "points": 10, "source": "manual"},
    {"key": "resolution", "name_vi": "Kết luận, nghị quyết rõ ràng", "name_en": "Clear conclusions and resolution", "points": 5, "source": "manual"},
]
DEFAULT_CLASSES = [
    {"key": "good", "name_vi": "Tốt", "name_en": "Good", "min_points": 90,
     "needs_full": ["attendance", "length", "speakers", "minutes"]},
    {"key": "fair", "name_vi": "Khá", "name_en": "Fair", "min_points": 70},
    {"key": "average", "name_vi": "Trung bình", "name_en": "Average", "min_points": 50},
    {"key": "poor", "name_vi": "Kém", "name_en": "Poor", "min_points": 0},
]


@dataclass
class EvaluationConfig:
    """The quarterly evaluation's criteria and classes (bot/rules/evaluation.py)."""

    min_speakers: int = 3
    criteria: list[dict] = field(default_factory=lambda: [dict(c) for c in DEFAULT_CRITERIA])
    classes: list[dict] = field(default_factory=lambda: [dict(c) for c in DEFAULT_CLASSES])

    def framework(self):
        from bot.rules import evaluation

        criteria = tuple(evaluation.Criterion(str(c.get("key", "")), str(c.get("name_vi", "")),
                                              str(c.get("name_en", "")), float(c.get("points", 0)),
                                              str(c.get("source", evaluation.MANUAL)))
                         for c in self.criteria)
        grades = tuple(evaluation.Grade(str(g.get("key", "")), str(g.get("name_vi", "")), str(g.get("name_en", "")),
                                        float(g.get("min_points", 0)), tuple(g.get("needs_full", ())))
                       for g in self.classes)
        return evaluation.Framework(criteria, grades, self.min_speakers)

    def check(self, source: str) -> None:
        from bot.rules import evaluation

        known = {"criteria": {"key", "name_vi", "name_en", "points", "source"},
                 "classes": {"key", "name_vi", "name_en", "min_points", "needs_full"}}
        for table, keys in known.items():
            for index, item in enumerate(getattr(self, table)):
                extra = set(item) - keys
                if extra:
                    raise ConfigError(_("{file}: {key}: unknown key").format(
                        file=source, key=f"evaluation.{table}[{index}].{sorted(extra)[0]}"))
        try:
            problems = evaluation.check(self.framework())
        except (TypeError, ValueError):
            problems = [("", "")]
        if problems:
            problem, key = problems[0]
            messages = {
                evaluation.NO_CRITERIA: _("no criteria"),
                evaluation.DUPLICATE_KEY: _("two criteria have the key {key!r}"),
                evaluation.UNKNOWN_SOURCE: _("criterion {key!r}: unknown source (one of {sources})"),
                evaluation.NO_POINTS: _("criterion {key!r}: points must be above 0"),
                evaluation.MISSING_NAME: _("criterion {key!r}: key, name_vi and name_en are required"),
                evaluation.NO_CLASSES: _("no classes"),
                evaluation.CLASS_ORDER: _("classes must go from the highest min_points down, each different"),
                evaluation.UNKNOWN_NEEDS_FULL: _("class {key!r}: needs_full names an unknown criterion"),
                evaluation.NEGATIVE_SPEAKERS: _("min_speakers must be 0 or more"),
            }
            text = messages.get(problem, _("a value of the wrong type")).format(
                key=key, sources=", ".join(evaluation.SOURCES))
            raise ConfigError(_("{file}: {key}: cannot be used: {problem}").format(
                file=source, key="evaluation", problem=text))


@dataclass
class MeetingConfig:
    """Roll calls and the meeting record (bot/rules/attendance.py)."""

    target: float = 0.90                 # attendance rate a meeting must reach (TP Thanh Hóa: 90 %)
    minimum_minutes: int = 90            # Hướng dẫn 42-HD/BTCTW (2025)
    minimum_minutes_both: int = 120      # regular and thematic meetings held together
    corrections_until_day: int = 10      # the cell may correct a month until this day of the next month
    reopen_days: int = 7                 # a record reopened by ward staff stays open this many days

    def check(self, source: str) -> None:
        def fail(key: str, value) -> None:
            raise ConfigError(_("{file}: {key}: not allowed: {value!r}").format(
                file=source, key=f"meeting.{key}", value=value))

        if not 0 < self.target <= 1:
            fail("target", self.target)
        if not 1 <= self.minimum_minutes <= 600:
            fail("minimum_minutes", self.minimum_minutes)
        if not 1 <= self.minimum_minutes_both <= 600:
            fail("minimum_minutes_both", self.minimum_minutes_both)
        if not 1 <= self.corrections_until_day <= 31:
            fail("corrections_until_day", self.corrections_until_day)
        if not 1 <= self.reopen_days <= 90:
            fail("reopen_days", self.reopen_days)


@dataclass
class Config:
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    zalo: ZaloConfig = field(default_factory=ZaloConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    locale: LocaleConfig = field(default_factory=LocaleConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    organisation: OrganisationConfig = field(default_factory=OrganisationConfig)
    sender: SenderConfig = field(default_factory=SenderConfig)
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    reminders: RemindersConfig = field(default_factory=RemindersConfig)
    recommendations: RecommendationsConfig = field(default_factory=RecommendationsConfig)
    reports: ReportsConfig = field(default_factory=ReportsConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    meeting: MeetingConfig = field(default_factory=MeetingConfig)
    source: str = field(default="", compare=False, metadata={"internal": True})

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.locale.timezone)

    def pacing_for(self, platform: str) -> SenderConfig:
        """The send-budget figures of a platform's token: [sender] for Telegram; for Zalo, [sender] with
        [zalo]'s rates (bot/delivery/pacing.py reads them the same way)."""
        if platform == "telegram":
            return self.sender
        return dataclasses.replace(self.sender, overall_per_second=self.zalo.overall_per_second,
                                   per_chat_interval_seconds=self.zalo.per_chat_interval_seconds,
                                   per_chat_burst=self.zalo.per_chat_burst)


_CHOICES = {
    "telegram.mode": ("polling", "webhook"),
    "zalo.mode": ("polling", "webhook"),
    "locale.default": ("vi", "en"),
    "logging.level": ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"),
}


def _build(cls: type, data: dict, prefix: str, source: str):
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    values = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if key not in known:
            raise ConfigError(_("{file}: {key}: unknown key").format(file=source, key=dotted))
        wanted = hints[key]
        if dataclasses.is_dataclass(wanted):
            if not isinstance(value, dict):
                raise ConfigError(_("{file}: {key}: must be a table").format(file=source, key=dotted))
            values[key] = _build(wanted, value, dotted + ".", source)
            continue
        origin = typing.get_origin(wanted) or wanted
        ok = isinstance(value, origin) and not (origin is int and isinstance(value, bool))
        if origin is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        if not ok:
            raise ConfigError(
                _("{file}: {key}: must be {type}, not {value!r}").format(
                    file=source, key=dotted, type=_type_name(origin), value=value
                )
            )
        if origin is list:
            item_type = (typing.get_args(wanted) or (object,))[0]
            if not all(isinstance(item, item_type) for item in value):
                raise ConfigError(
                    _("{file}: {key}: must be a list of {type}").format(
                        file=source, key=dotted, type=_type_name(item_type)
                    )
                )
        if known[key].metadata.get("positive") and not value > 0:
            raise ConfigError(_("{file}: {key}: must be more than 0, not {value!r}").format(
                file=source, key=dotted, value=value))
        low, high = known[key].metadata.get("range", (value, value))
        if not low <= value <= high:
            raise ConfigError(_("{file}: {key}: must be from {low} to {high}, not {value!r}").format(
                file=source, key=dotted, low=low, high=high, value=value))
        choices = _CHOICES.get(dotted)
        if choices and value not in choices:
            raise ConfigError(
                _("{file}: {key}: must be one of {choices}").format(
                    file=source, key=dotted, choices=", ".join(choices)
                )
            )
        values[key] = value
    return cls(**values)


def _type_name(kind: type) -> str:
    return {str: _("a string"), int: _("a whole number"), float: _("a number"), bool: _("true or false"),
            list: _("a list"), dict: _("a table")}.get(kind, kind.__name__)


def load_config(path: str | os.PathLike | None = None, *, environ: typing.Mapping[str, str] | None = None) -> Config:
    """Read `path` (default `./config.toml`); built-in defaults when no path is given and there is none."""
    environ = os.environ if environ is None else environ
    explicit = path is not None
    file = Path(path) if explicit else DEFAULT_PATH
    if not explicit and not file.exists():
        config = Config(source=_("built-in defaults"))
    else:
        try:
            # utf-8-sig: Notepad may save UTF-8 with a byte order mark, which TOML itself does not allow.
            data = tomllib.loads(file.read_bytes().decode("utf-8-sig"))
        except OSError as error:
            raise ConfigError(
                _("{file}: cannot be read: {problem}").format(file=file, problem=problems.os_reason(error))
            ) from None
        except UnicodeDecodeError:
            raise ConfigError(_("{file}: not in UTF-8: save it again with the encoding UTF-8 "
                                "(in Notepad: Save as…, Encoding: UTF-8)").format(file=file)) from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{file}: {problems.toml_problem(error)}") from None
        config = _build(Config, data, "", str(file))
        config.source = str(file)
    try:
        ZoneInfo(config.locale.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            _("{file}: {key}: unknown time zone {value!r}").format(
                file=config.source, key="locale.timezone", value=config.locale.timezone
            )
        ) from None
    config.reminders.check(config.source)
    config.recommendations.check(config.source)
    config.reports.check(config.source)
    config.evaluation.check(config.source)
    config.meeting.check(config.source)
    config.zalo.check(config.source)
    token = environ.get(TOKEN_ENV)
    if token:
        config.telegram.token = token
    zalo_token = environ.get(ZALO_TOKEN_ENV)
    if zalo_token:
        config.zalo.token = zalo_token
    return config
