"""Placeholder: the PTB Application wiring (filled in by the local-server/run issue)."""
