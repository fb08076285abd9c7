"""Plan the accounts of a scan and collect each one with the right session."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from connectors.aws import fetch, scope_failure, scope_report
from connectors.aws.account import AccountCollector
from connectors.aws.errors import SDK_ERRORS, gap_detail, gap_reason
from connectors.aws.session import ScopeClients, assumed_session
from scanner.model import Facet, Gap, Record
from scanner.plugins import ScopePlan

if TYPE_CHECKING:
    from connectors.aws import AwsConnector

log = logging.getLogger(__name__)
CALLER_SCOPE = "caller"


def _clients(connector: AwsConnector, session: Any) -> ScopeClients:
    region = session.region_name or connector.region
    return ScopeClients(
        session,
        endpoint_url=connector.settings.endpoint_url,
        max_attempts=connector.settings.max_attempts,
        default_region=region,
    )


def plan_accounts(connector: AwsConnector) -> ScopePlan:
    """The caller's account, plus the organization's ACTIVE accounts when organization_role is set."""
    settings = connector.settings
    clients = _clients(connector, connector.session_factory())
    try:
        caller = clients.get("sts").get_caller_identity()
    except SDK_ERRORS as exc:
        gap = scope_failure(CALLER_SCOPE, "sts:GetCallerIdentity", gap_reason(exc), gap_detail(exc))
        return ScopePlan(scopes=(), records=(gap, scope_report(CALLER_SCOPE, clients.counter.count)))
    connector.caller_account = caller["Account"]
    connector.partition = caller["Arn"].split(":")[1]
    connector.region = clients.default_region
    records: list[Record] = []
    labels: dict[str, str] = {}
    accounts = [connector.caller_account]
    if settings.organization_role:
        if settings.accounts:
            accounts = list(dict.fromkeys(settings.accounts))
        else:
            listed = _list_org_accounts(connector, clients, records, labels)
            accounts = listed if listed is not None else accounts
    records.append(
        scope_report(connector.caller_account, clients.counter.count, labels.get(connector.caller_account, ""))
    )
    connector.labels = labels
    return ScopePlan(scopes=tuple(accounts), records=tuple(records), labels=labels)


def _list_org_accounts(
    connector: AwsConnector, clients: ScopeClients, records: list[Record], labels: dict[str, str]
) -> list[str] | None:
    try:
        listed = fetch.organization_accounts(clients.get("organizations"))
    except SDK_ERRORS as exc:
        records.append(
            Gap(
                provider="aws",
                scope=connector.caller_account,
                resource="organizations:ListAccounts",
                reason=gap_reason(exc),
                detail=gap_detail(exc) + "; scanning the caller's account only",
                facets=frozenset({Facet.IDENTITIES}),
            )
        )
        return None
    active = [a for a in listed if a.get("Status", "ACTIVE") == "ACTIVE"]
    for account in active:
        labels[account["Id"]] = account.get("Name", "")
    skipped = len(listed) - len(active)
    if skipped:
        log.info("skipping %d organization accounts that are not ACTIVE", skipped)
    return [a["Id"] for a in active]


def collect_account(connector: AwsConnector, account: str) -> Iterator[Record]:
    """Open the account's session (assuming organization_role for members), then collect it."""
    settings = connector.settings
    base = _clients(connector, connector.session_factory())
    session = base.session
    if account != connector.caller_account:
        role_arn = f"arn:{connector.partition}:iam::{account}:role/{settings.organization_role}"
        try:
            session = assumed_session(
                base.get("sts"), role_arn, external_id=settings.external_id, region=connector.region
            )
        except SDK_ERRORS as exc:
            yield scope_failure(account, "sts:AssumeRole", gap_reason(exc), f"{role_arn}: {gap_detail(exc)}")
            yield scope_report(account, base.counter.count, connector.labels.get(account, ""))
            return
    clients = _clients(connector, session)
    regions = settings.regions or (connector.region,)
    collector = AccountCollector(account=account, partition=connector.partition, clients=clients, regions=regions)
    yield from collector.run()
    yield scope_report(account, base.counter.count + clients.counter.count, connector.labels.get(account, ""))
