"""`shadowsweep demo`: an emulated AWS organization on loopback, scanned against a sample registry."""

from __future__ import annotations

from pathlib import Path

import click

from scanner.config import ScanSettings, Settings
from scanner.errors import PluginError
from scanner.output import write_atomic
from scanner.plugins import install_hint, missing_requirements
from scanner.registry import load_registry
from scanner.runner import Prepared, run_and_write

DEMO_ROLE = "OrganizationAccountAccessRole"


def run_demo(out: Path, *, quiet: bool = False) -> dict[str, object]:
    """Start the emulator, seed the estate, write the registry, scan, and write the reports."""
    missing = missing_requirements(("boto3", "moto"))
    if missing:
        raise PluginError(f"the demo needs {', '.join(missing)}: {install_hint('demo')}")
    import boto3

    from connectors.aws import AwsConnector, AwsSettings
    from connectors.aws.demo_estate import seed_demo_org
    from connectors.aws.emulator import AwsEmulator

    with AwsEmulator() as emulator:
        if not quiet:
            click.echo(f"emulated AWS organization on {emulator.url} (moto, in this process)", err=True)
        org = seed_demo_org(emulator)
        registry_path = out / "agents.yaml"
        write_atomic(registry_path, org.registry_yaml.encode("utf-8"), mode=0o644)
        connector = AwsConnector(
            AwsSettings(organization_role=DEMO_ROLE, regions=("us-east-1",), endpoint_url=emulator.url),
            session_factory=lambda: boto3.Session(
                aws_access_key_id="demo", aws_secret_access_key="demo", region_name="us-east-1"
            ),
        )
        settings = Settings(scan=ScanSettings(registry=registry_path, out=out, formats=("json", "html")))
        prepared = Prepared(settings=settings, registry=load_registry(registry_path), connectors=[connector])
        report = run_and_write(prepared, quiet=quiet)
        if not quiet:
            click.echo(f"sample registry: {registry_path}")
        return report
