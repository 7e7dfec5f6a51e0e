"""Chat handlers: one module per conversation or feature. Each module defines
`register(application, ctx)`, which adds its PTB handlers. `bot/app.py` registers them, in the order
listed there: the order matters (the first handler that matches an update in a group takes it), and
`fallback` is last, answering whatever nothing else took."""
