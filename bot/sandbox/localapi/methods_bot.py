"""Bot API methods about the bot itself: getMe and the command lists (kept per scope and language)."""

from __future__ import annotations

import re

from bot.sandbox.localapi import errors
from bot.sandbox.localapi.call import Call, method
from bot.sandbox.localapi.errors import bad_request

_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_SCOPES = {
    "default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
    "chat_administrators", "chat_member",
}
_MAX_COMMANDS = 100
_MAX_DESCRIPTION = 256


def _chat_ref(value: object) -> int | str | None:
    if value is None:
        return None
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)


def command_key(scope: object, language_code: str | None) -> tuple:
    """The key a command list is kept under: (scope type, chat_id, user_id, language code)."""
    if scope is None:
        scope = {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
        raise bad_request(errors.CANT_PARSE_JSON.format(name="BotCommandScope"))
    return scope["type"], _chat_ref(scope.get("chat_id")), _chat_ref(scope.get("user_id")), language_code or ""


def _key(call: Call) -> tuple:
    return command_key(call.params.nested("scope"), call.params.string("language_code"))


@method("getMe")
async def get_me(call: Call) -> dict:
    return {
        **call.bot.user_json(), "can_join_groups": True, "can_read_all_group_messages": False,
        "supports_inline_queries": False, "can_connect_to_business": False, "has_main_web_app": False,
    }


@method("setMyCommands")
async def set_my_commands(call: Call) -> bool:
    commands = call.params.nested("commands")
    if not isinstance(commands, list):
        raise bad_request(errors.CANT_PARSE_JSON.format(name="commands"))
    if len(commands) > _MAX_COMMANDS:
        raise bad_request(errors.COMMANDS_TOO_MUCH)
    kept = []
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND.fullmatch(str(command.get("command", ""))):
            raise bad_request(errors.COMMAND_INVALID)
        description = command.get("description")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= _MAX_DESCRIPTION:
            raise bad_request(errors.COMMAND_DESCRIPTION_INVALID)
        kept.append({"command": command["command"], "description": description})
    key = _key(call)
    call.bot.commands[key] = kept
    return True


@method("getMyCommands")
async def get_my_commands(call: Call) -> list[dict]:
    return list(call.bot.commands.get(_key(call), []))


@method("deleteMyCommands")
async def delete_my_commands(call: Call) -> bool:
    call.bot.commands.pop(_key(call), None)
    return True


@method("logOut")
async def log_out(call: Call) -> bool:
    return True


@method("close")
async def close(call: Call) -> bool:
    return True
