"""Shared fixtures: fake cloud credentials everywhere, and one AWS emulator per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}


@pytest.fixture(autouse=True)
def fake_cloud_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """A missing mock can never reach a real account: every test runs with fake credentials."""
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL", "AWS_ROLE_ARN"):
        monkeypatch.delenv(key, raising=False)
    for key, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(key, value)


@pytest.fixture(scope="module")
def aws_emulator() -> Iterator[object]:
    """One in-process AWS emulator per test module; tests call reset() as they need."""
    from connectors.aws.emulator import AwsEmulator

    with AwsEmulator() as emulator:
        yield emulator
