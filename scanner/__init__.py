"""shadowsweep core: find AI agents among non-human identities and reconcile them with a registry."""

from __future__ import annotations

__version__ = "0.1.0"
