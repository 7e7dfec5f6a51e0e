"""Chat handlers: one module per conversation or feature. Each module defines
`register(application, ctx)`, which adds its PTB handlers. `bot/app.py` registers them in this order; a
module not written yet is left out. `fallback` is last: it answers whatever nothing else took."""

FEATURE_MODULES = [
    "onboarding",
    "menu",
    "guidance",
    "reminders",
    "fallback",
]
