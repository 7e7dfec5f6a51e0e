"""What a Bot API method gets to work with, and the registry of methods by name."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.sandbox.localapi.limits import Limits
from bot.sandbox.localapi.params import Params
from bot.sandbox.localapi.state import BotState


class WebhookControl(Protocol):
    def start(self, bot: BotState) -> None: ...

    def stop(self, bot: BotState) -> None: ...


@dataclass
class Call:
    bot: BotState
    params: Params
    limits: Limits
    webhooks: WebhookControl


@dataclass
class Described:
    """A result that Telegram sends with a `description` beside it (setWebhook's "Webhook was set")."""

    result: Any
    description: str


Method = Callable[[Call], Awaitable[Any]]

# Telegram's method names are case-insensitive; kept here in lower case.
METHODS: dict[str, Method] = {}


def method(name: str) -> Callable[[Method], Method]:
    def register(function: Method) -> Method:
        METHODS[name.lower()] = function
        return function

    return register


def find_method(name: str) -> Method | None:
    return METHODS.get(name.lower())
