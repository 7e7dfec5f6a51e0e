"""Reminders: the scheduler that wakes the tick, the facts it reads, the texts it sends."""
