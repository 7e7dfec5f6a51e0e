"""All SQL of shcb lives in this package. Each module is one aggregate and returns plain dataclasses."""

from storage.db import Database

__all__ = ["Database"]
