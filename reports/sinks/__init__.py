"""Delivery sinks: push findings to Splunk HEC, syslog (CEF) or a webhook, spooling whatever a sink did not take."""

from __future__ import annotations

from .config import KINDS, SinkConfig, parse_sinks
from .deliver import DeliveryResult, deliver_all

__all__ = ["KINDS", "DeliveryResult", "SinkConfig", "deliver_all", "parse_sinks"]
