"""argparse's own words (`usage:`, `options:`, `error: the following arguments are required …`) in the
command line's language.

argparse translates its texts with the `_` and `ngettext` it imported from `gettext` into its own module,
looked up each time it formats a message; `route()` points those two names at the command line's catalog,
which holds argparse's English texts listed below (msgids exactly as argparse writes them, Python 3.11 to
3.13), so that `tools/i18n.py update` extracts them like any of ours.
"""

from __future__ import annotations

import argparse

from bot.core.i18n import N_, cli_gettext, cli_ngettext

MESSAGES = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("unrecognized arguments: %s"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
    N_("can't open '%(filename)s': %(error)s"),
)


def route() -> None:
    """From now on argparse speaks the command line's language (`bot.core.i18n.cli_language`)."""
    argparse._ = cli_gettext  # type: ignore[attr-defined]
    argparse.ngettext = cli_ngettext  # type: ignore[attr-defined]
