"""The `wenku` command line: the group and its commands (registered by importing their modules)."""

from __future__ import annotations

from . import index, search  # noqa: F401  (registers the commands)
from .common import main

__all__ = ["main"]
