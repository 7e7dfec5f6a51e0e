"""shcb — the chat assistant for party cell meetings (sinh hoạt chi bộ, SHCB)."""
