"""Helpers for tests that look inside the SQLite store on purpose."""

from __future__ import annotations

from bot.store import Store, StoreContract


def sqlite(store: StoreContract) -> Store:
    """The store as the SQLite Store it must be here (tests reading its tables directly)."""
    assert isinstance(store, Store), store
    return store
