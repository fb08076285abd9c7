"""Renderers: turn the canonical report into bytes (JSON, HTML, ...)."""
