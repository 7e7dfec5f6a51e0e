"""Outbound delivery: the outbox sender, the shared send budget (pacing), guidance delivery."""
