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

from bot.core.i18n import cli_gettext as _

TOKEN_ENV = "SHCB_TELEGRAM_TOKEN"
DEFAULT_PATH = Path("config.toml")


class ConfigError(Exception):
    """One line: file, key, problem."""


@dataclass
class WebhookConfig:
    url: str = ""
    listen: str = "127.0.0.1"
    port: int = 8443
    secret_token: str = ""


@dataclass
class TelegramConfig:
    token: str = dataclasses.field(default="", repr=False)
    base_url: str = ""
    base_file_url: str = ""
    mode: str = "polling"
    bot_username: str = ""
    webhook: WebhookConfig = field(default_factory=WebhookConfig)


@dataclass
class StorageConfig:
    path: str = "shcb.sqlite3"


@dataclass
class LocaleConfig:
    default: str = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"


@dataclass
class LoggingConfig:
    level: str = "INFO"


@dataclass
class OrganisationConfig:
    # The root unit (the city party committee) that roster wards hang under.
    name: str = "Thành ủy Thanh Hóa"


@dataclass
class SenderConfig:
    """The outbox sender (bot/delivery/sender.py)."""

    overall_per_second: float = 30.0
    per_chat_interval_seconds: float = 1.0
    max_attempts: int = 5
    retry_base_seconds: float = 5.0
    poll_seconds: float = 2.0
    max_in_flight: int = 4


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
    storage: StorageConfig = field(default_factory=StorageConfig)
    locale: LocaleConfig = field(default_factory=LocaleConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    organisation: OrganisationConfig = field(default_factory=OrganisationConfig)
    sender: SenderConfig = field(default_factory=SenderConfig)
    reminders: RemindersConfig = field(default_factory=RemindersConfig)
    recommendations: RecommendationsConfig = field(default_factory=RecommendationsConfig)
    meeting: MeetingConfig = field(default_factory=MeetingConfig)
    source: str = field(default="", compare=False, metadata={"internal": True})

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.locale.timezone)


_CHOICES = {
    "telegram.mode": ("polling", "webhook"),
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
            with open(file, "rb") as handle:
                data = tomllib.load(handle)
        except OSError as error:
            raise ConfigError(
                _("{file}: cannot be read: {problem}").format(file=file, problem=error.strerror or error)
            ) from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(_("{file}: not valid TOML: {problem}").format(file=file, problem=error)) from None
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
    config.meeting.check(config.source)
    token = environ.get(TOKEN_ENV)
    if token:
        config.telegram.token = token
    return config
