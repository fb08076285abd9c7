"""The built-in rules; importing this module registers them."""

from __future__ import annotations

from scanner.rules import agents, credentials, gaps, lifecycle

__all__ = ["agents", "credentials", "gaps", "lifecycle"]
