"""Local adapters: standard library only, for the CLI, local runs and tests."""

from costwarden.adapters.local.sqlite_state import SqliteStateStore

__all__ = ["SqliteStateStore"]
