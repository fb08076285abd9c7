"""The built-in rules; importing this module registers them."""

from __future__ import annotations

from scanner.rules import agents, credentials, federation, gaps, lifecycle, registries

__all__ = ["agents", "credentials", "federation", "gaps", "lifecycle", "registries"]
