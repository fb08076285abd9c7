"""`shadowsweep demo`: emulated AWS, Entra and Google Cloud estates on loopback, scanned against one registry."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from scanner.config import ScanSettings, Settings
from scanner.errors import PluginError
from scanner.output import write_atomic
from scanner.plugins import Connector, install_hint, missing_requirements
from scanner.registry import load_registry
from scanner.runner import Prepared, run_and_write

if TYPE_CHECKING:
    from connectors.aws.emulator import AwsEmulator
    from connectors.entra.emulator_tenant import Tenant
    from connectors.gcp.emulator_org import Org

DEMO_ROLE = "OrganizationAccountAccessRole"
DEMO_EXTRAS = ("boto3", "moto", "msgraph", "azure.identity", "google.cloud.resourcemanager_v3")


class DemoCredential:
    """An azure-identity-shaped credential for the loopback Graph emulator; no real token exists."""

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken("demo-token-for-the-local-emulator", int(time.time()) + 3600)

    async def close(self) -> None:
        return None


@contextlib.contextmanager
def _aws(now: datetime, say: Any) -> Iterator[tuple[Connector, str, Any]]:
    import boto3

    from connectors.aws import AwsConnector, AwsSettings
    from connectors.aws.demo_estate import seed_demo_org
    from connectors.aws.emulator import AwsEmulator

    with AwsEmulator() as emulator:
        say(f"emulated AWS organization on {emulator.url} (moto, in this process)")
        org = seed_demo_org(emulator, now=now)
        connector = AwsConnector(
            AwsSettings(organization_role=DEMO_ROLE, regions=("us-east-1",), endpoint_url=emulator.url),
            session_factory=lambda: boto3.Session(
                aws_access_key_id="demo", aws_secret_access_key="demo", region_name="us-east-1"
            ),
        )
        yield connector, org.registry_yaml, (emulator, org.management)


@contextlib.contextmanager
def _entra(now: datetime, say: Any) -> Iterator[tuple[Connector, str, Any]]:
    from connectors.entra import EntraConnector, EntraSettings
    from connectors.entra.demo_tenant import demo_tenant
    from connectors.entra.emulator import GraphEmulator

    tenant, fragment = demo_tenant(now)
    with GraphEmulator(tenant) as emulator:
        say(f"emulated Microsoft Graph tenant on {emulator.url} (in this process)")
        connector = EntraConnector(EntraSettings(graph_endpoint=emulator.url), credential=DemoCredential())
        yield connector, fragment, tenant


@contextlib.contextmanager
def _gcp(now: datetime, say: Any) -> Iterator[tuple[Connector, str, Any]]:
    from google.oauth2.credentials import Credentials

    from connectors.gcp import API_NAMES, GcpConnector, GcpSettings
    from connectors.gcp.demo_org import demo_org
    from connectors.gcp.emulator import GcpEmulator

    org, fragment = demo_org(now)
    with GcpEmulator(org) as emulator:
        say(f"emulated Google Cloud organization on {emulator.url} (in this process)")
        settings = GcpSettings(organization=org.organization.name, endpoints=dict.fromkeys(API_NAMES, emulator.url))
        token = Credentials(token="demo-token-for-the-local-emulator")  # type: ignore[no-untyped-call]
        yield GcpConnector(settings, credentials=token), fragment, org


def _cross_cloud(aws_emulator: Any, management: str, tenant: Any) -> None:
    """An AWS role that trusts the Entra app agent-deployer and is administrator: one path across clouds."""
    from connectors.aws.demo_estate import plant_cross_cloud

    deployer = next(sp for sp in tenant.service_principals if sp.display_name == "agent-deployer")
    plant_cross_cloud(aws_emulator, management, tenant.tenant_id, deployer.app_id)


@dataclass(frozen=True)
class Estate:
    """The three emulated clouds while they run: their connectors, sample registry and writable models."""

    connectors: list[Connector]
    registry_yaml: str
    aws: AwsEmulator
    tenant: Tenant
    gcp: Org


def require_demo_extras() -> None:
    """The emulators need the `demo` extra; say how to install it instead of failing on an import."""
    missing = missing_requirements(DEMO_EXTRAS)
    if missing:
        raise PluginError(f"the demo needs {', '.join(missing)}: {install_hint('demo')}")


@contextlib.contextmanager
def estate(now: datetime, say: Any) -> Iterator[Estate]:
    """Start the three emulators, seed them and plant the cross-cloud path; they stop when the block ends."""
    require_demo_extras()
    with (
        _aws(now, say) as (aws, aws_registry, (aws_emulator, management)),
        _entra(now, say) as (entra, entra_registry, tenant),
        _gcp(now, say) as (gcp, gcp_registry, gcp_org),
    ):
        _cross_cloud(aws_emulator, management, tenant)
        text = aws_registry.rstrip("\n") + "\n" + entra_registry.rstrip("\n") + "\n" + gcp_registry
        yield Estate([aws, entra, gcp], text, aws_emulator, tenant, gcp_org)


def run_demo(out: Path, *, quiet: bool = False) -> dict[str, object]:
    """Start the emulators, seed the estate, write the registry, scan, and write the reports."""
    now = datetime.now(UTC)
    say = (lambda _: None) if quiet else (lambda line: click.echo(line, err=True))
    with estate(now, say) as demo:
        registry_path = out / "agents.yaml"
        write_atomic(registry_path, demo.registry_yaml.encode("utf-8"), mode=0o644)
        settings = Settings(scan=ScanSettings(registry=registry_path, out=out, formats=("json", "html")))
        prepared = Prepared(settings=settings, registry=load_registry(registry_path), connectors=demo.connectors)
        report = run_and_write(prepared, quiet=quiet)
        if not quiet:
            click.echo(f"sample registry: {registry_path}")
        return report
