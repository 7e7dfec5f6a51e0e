"""One module per `shcb` subcommand (see bot/cli.py)."""
