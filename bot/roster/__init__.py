"""The roster: reading and writing the wards' spreadsheets, importing them into the database, and the
demo roster. The rules a file must follow are in `bot/rules/roster.py`."""
