"""Sessions and clients: one session per scope, botocore's standard retries, and a call counter."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from scanner import __version__

SessionFactory = Callable[[], Any]


class CallCounter:
    """Counts every HTTP request a scope's clients send, retries included."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def __call__(self, **_: Any) -> None:
        with self._lock:
            self.count += 1


def client_config(max_attempts: int) -> Config:
    """Retries are configured once, here: botocore standard mode, bounded timeouts."""
    return Config(
        retries={"mode": "standard", "max_attempts": max_attempts},
        connect_timeout=10,
        read_timeout=60,
        user_agent_extra=f"shadowsweep/{__version__}",
        max_pool_connections=16,
    )


class ScopeClients:
    """Creates and caches one counted client per (service, region) for a scope's session."""

    def __init__(self, session: Any, *, endpoint_url: str | None, max_attempts: int, default_region: str) -> None:
        self.session = session
        self.endpoint_url = endpoint_url
        self.config = client_config(max_attempts)
        self.default_region = default_region
        self.counter = CallCounter()
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def get(self, service: str, region: str | None = None) -> Any:
        """A client, created once; its every request is counted for this scope."""
        key = (service, region or self.default_region)
        with self._lock:
            if key not in self._clients:
                kwargs: dict[str, Any] = {"region_name": key[1], "config": self.config}
                if self.endpoint_url:
                    kwargs["endpoint_url"] = self.endpoint_url
                client = self.session.client(service, **kwargs)
                client.meta.events.register("before-send", self.counter)
                self._clients[key] = client
            return self._clients[key]


@dataclass(frozen=True)
class ProfileSessions:
    """boto3's default credential chain (environment, profile, SSO, instance role), resolved where it runs.

    It is picklable and carries no credentials, so a distributed worker builds its own session from its own
    environment: credentials never travel through a scheduler.
    """

    profile: str | None = None

    def __call__(self) -> Any:
        return boto3.Session(profile_name=self.profile)


def default_session_factory(profile: str | None) -> SessionFactory:
    """The default credential chain, as a picklable factory."""
    return ProfileSessions(profile)


def assumed_session(sts: Any, role_arn: str, *, external_id: str | None, region: str) -> Any:
    """A session with temporary credentials for a member account; they never leave memory."""
    kwargs: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": "shadowsweep", "DurationSeconds": 3600}
    if external_id:
        kwargs["ExternalId"] = external_id
    creds = sts.assume_role(**kwargs)["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region,
    )
