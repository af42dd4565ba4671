"""Sample analyses (one TOML file each) shipped as package data; see bot/seeds.py."""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable


def folder() -> Traversable:
    """The folder holding the shipped seed files."""
    return resources.files(__name__)
