"""Collect one AWS account: global IAM sources, then regional runtimes; every failure is a gap."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from connectors.aws import fetch
from connectors.aws.errors import SDK_ERRORS, gap_detail, gap_reason
from connectors.aws.normalize import (
    PROVIDER,
    PolicyBook,
    ReportRow,
    access_key_record,
    parse_credential_report,
    parse_time,
    role_records,
    service_specific_record,
    user_records,
    user_uid,
)
from connectors.aws.regional import regional_records
from connectors.aws.session import ScopeClients
from scanner.model import Credential, Facet, Federation, Gap, GapReason, Record

log = logging.getLogger(__name__)


def _arn_of_uid(gap: Gap) -> str:
    """The user ARN a ListAccessKeys gap names (its subject is the user's uid)."""
    return (gap.subject_uid or "").removeprefix(user_uid(""))


T = TypeVar("T")

GAAD_FACETS = frozenset({Facet.IDENTITIES, Facet.GRANTS, Facet.CREDENTIALS, Facet.IDENTITY_USAGE})
BEDROCK = "bedrock.amazonaws.com"
KEY_LISTING_THREADS = 4
SIDE_THREADS = 8  # ListRoles, service-specific credentials, OIDC providers and one per region, beside GAAD


@dataclass
class AccountCollector:
    """One account's collection; gaps accumulate instead of exceptions escaping."""

    account: str
    partition: str
    clients: ScopeClients
    regions: tuple[str, ...]
    gaps: list[Gap] = field(default_factory=list)
    gaad_users: set[str] | None = None  # user ARNs GAAD returned, once it has

    def attempt(
        self, call: Callable[[], T], resource: str, facets: frozenset[Facet], *, subject: str | None = None
    ) -> T | None:
        """Run one SDK call; an SDK error becomes a gap at the smallest scope, a bug still raises."""
        try:
            return call()
        except SDK_ERRORS as exc:
            self.gap(resource, gap_reason(exc), gap_detail(exc), facets, subject=subject)
            return None

    def gap(
        self,
        resource: str,
        reason: GapReason,
        detail: str,
        facets: frozenset[Facet],
        *,
        subject: str | None = None,
        region: str = "",
        target: str = "",
    ) -> None:
        """Record a gap and log it at WARNING."""
        log.warning("aws %s %s: %s %s: %s", self.account, region, resource, reason.value, detail)
        self.gaps.append(
            Gap(
                provider=PROVIDER,
                scope=self.account,
                resource=resource,
                reason=reason,
                detail=detail,
                facets=facets,
                subject_uid=subject,
                region=region,
                target=target,
            )
        )

    def run(self) -> Iterator[Record]:
        """Every record of the account, then its gaps (in a stable order)."""
        iam = self.clients.get("iam")
        with ThreadPoolExecutor(max_workers=SIDE_THREADS, thread_name_prefix=f"aws-{self.account}") as pool:
            # Reads that do not depend on GAAD run beside it: on AWS each one is a round trip of its own.
            descriptions = pool.submit(self._role_descriptions, iam)
            specific = pool.submit(self._service_specific, iam)
            oidc = pool.submit(lambda: list(self._oidc(iam)))
            regional = [pool.submit(self._region, region) for region in self.regions]
            report_facets = frozenset({Facet.IDENTITY_USAGE})  # key usage falls back to GetAccessKeyLastUsed
            state = self.attempt(
                lambda: fetch.start_credential_report(iam), "iam:GenerateCredentialReport", report_facets
            )
            # The report names the users with keys, so their keys are listed while GAAD still pages.
            early = pool.submit(self._report_and_keys, iam, state)
            details = self.attempt(
                lambda: fetch.account_authorization_details(iam), "iam:GetAccountAuthorizationDetails", GAAD_FACETS
            )
            report, listed = early.result()
            if details is not None:
                yield from self._iam_records(iam, details, report, descriptions.result(), listed)
            user_arns = {u["UserName"]: u["Arn"] for u in details["UserDetailList"]} if details else {}
            yield from self._bedrock_keys(specific.result(), user_arns)
            yield from oidc.result()
            for future in regional:
                yield from future.result()
        gaps = [g for g in self.gaps if not self._gone(g)]
        yield from sorted(gaps, key=lambda g: (g.resource, g.region, g.subject_uid or "", g.target, g.detail))

    def _gone(self, gap: Gap) -> bool:
        """A key listing that failed for a user the report showed but GAAD no longer has: deleted, not a gap."""
        known = self.gaad_users
        return known is not None and gap.resource == "iam:ListAccessKeys" and _arn_of_uid(gap) not in known

    def _region(self, region: str) -> list[Record]:
        return list(regional_records(self, (region,)))

    def _role_descriptions(self, iam: Any) -> dict[str, str]:
        return self.attempt(lambda: fetch.role_descriptions(iam), "iam:ListRoles", frozenset()) or {}

    def _credential_report(self, iam: Any, state: str) -> dict[str, ReportRow] | None:
        content = self.attempt(
            lambda: fetch.credential_report(iam, state), "iam:GetCredentialReport", frozenset({Facet.IDENTITY_USAGE})
        )
        return parse_credential_report(content) if content is not None else None

    def _iam_records(
        self,
        iam: Any,
        details: dict[str, list[Any]],
        report: dict[str, ReportRow] | None,
        descriptions: dict[str, str],
        listed: dict[str, list[dict[str, Any]] | None],
    ) -> Iterator[Record]:
        book = PolicyBook()
        book.add_gaad_policies(details["Policies"])
        self._add_aws_managed(details, book)
        groups = {g["GroupName"]: g for g in details["GroupDetailList"]}
        for role in details["RoleDetailList"]:
            yield from role_records(role, self.account, book, descriptions.get(role["RoleId"], ""))
        for user in details["UserDetailList"]:
            yield from user_records(user, self.account, book, groups, report.get(user["Arn"]) if report else None)
        yield from self._access_keys(iam, details["UserDetailList"], report, listed)

    def _add_aws_managed(self, details: dict[str, list[Any]], book: PolicyBook) -> None:
        attached = {
            p["PolicyArn"]
            for kind in ("RoleDetailList", "UserDetailList", "GroupDetailList")
            for item in details[kind]
            for p in item.get("AttachedManagedPolicies", [])
        }
        attached |= {
            item["PermissionsBoundary"]["PermissionsBoundaryArn"]
            for kind in ("RoleDetailList", "UserDetailList")
            for item in details[kind]
            if item.get("PermissionsBoundary")
        }
        needed = {arn for arn in attached if arn not in book.documents and ":iam::aws:policy/" in arn}
        if needed:
            # Fetched per account, not shared across accounts: a scan's calls are the same however it is fanned out.
            book.add_gaad_policies(self._fetch_aws_managed() or [])
        for arn in sorted(attached - book.documents.keys()):
            detail = f"the document of {arn} could not be read; permissions it grants are unknown"
            self.gap("iam:GetPolicyVersion", GapReason.ERROR, detail, frozenset({Facet.GRANTS}), target=arn)

    def _fetch_aws_managed(self) -> list[dict[str, Any]] | None:
        iam = self.clients.get("iam")
        found = self.attempt(
            lambda: fetch.account_authorization_details(iam, ["AWSManagedPolicy"]),
            "iam:GetAccountAuthorizationDetails(AWSManagedPolicy)",
            frozenset({Facet.GRANTS}),
        )
        return found["Policies"] if found is not None else None

    def _report_and_keys(
        self, iam: Any, state: str | None
    ) -> tuple[dict[str, ReportRow] | None, dict[str, list[dict[str, Any]] | None]]:
        """The credential report, and the keys of every user it shows with a key (listed concurrently)."""
        report = self._credential_report(iam, state) if state is not None else None
        with_keys = [arn for arn, row in (report or {}).items() if row.has_keys and ":user/" in arn]  # not root
        users = [{"UserName": arn.rsplit("/", 1)[-1], "Arn": arn} for arn in with_keys]
        return report, self._list_all_keys(iam, users)

    def _list_all_keys(self, iam: Any, users: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]] | None]:
        with ThreadPoolExecutor(max_workers=KEY_LISTING_THREADS, thread_name_prefix=f"keys-{self.account}") as pool:
            return dict(pool.map(lambda u: (u["Arn"], self._list_keys(iam, u)), users))

    def _access_keys(
        self,
        iam: Any,
        users: list[dict[str, Any]],
        report: dict[str, ReportRow] | None,
        listed: dict[str, list[dict[str, Any]] | None],
    ) -> Iterator[Credential]:
        """Keys of GAAD's users: listed early from the report, or now for users the report does not show yet."""
        self.gaad_users = {u["Arn"] for u in users}
        late = [u for u in users if u["Arn"] not in listed and (report is None or u["Arn"] not in report)]
        found = listed | self._list_all_keys(iam, late)
        for user in users:
            row = report.get(user["Arn"]) if report else None
            for key in found.get(user["Arn"]) or []:
                cred = access_key_record(user["Arn"], self.account, key, row)
                if report is None:
                    cred = self._with_last_used(iam, cred)
                yield cred

    def _list_keys(self, iam: Any, user: dict[str, Any]) -> list[dict[str, Any]] | None:
        return self.attempt(
            lambda: fetch.access_keys(iam, user["UserName"]),
            "iam:ListAccessKeys",
            frozenset({Facet.CREDENTIALS}),
            subject=user_uid(user["Arn"]),
        )

    def _with_last_used(self, iam: Any, cred: Credential) -> Credential:
        """Without the credential report, ask per key (more calls, same answer)."""
        used = self.attempt(
            lambda: fetch.access_key_last_used(iam, cred.native_id),
            "iam:GetAccessKeyLastUsed",
            frozenset({Facet.CREDENTIAL_USAGE}),
            subject=cred.identity_uid,
        )
        if not used:
            return cred
        service = used.get("ServiceName", "")
        return replace(
            cred,
            last_used_at=parse_time(used.get("LastUsedDate")),
            last_used_service="" if service in ("N/A", None) else service,
        )

    def _service_specific(self, iam: Any) -> list[dict[str, Any]] | None:
        return self.attempt(
            lambda: fetch.service_specific_credentials(iam, BEDROCK),
            "iam:ListServiceSpecificCredentials",
            frozenset({Facet.CREDENTIALS}),
        )

    def _bedrock_keys(self, creds: list[dict[str, Any]] | None, user_arns: dict[str, str]) -> Iterator[Credential]:
        prefix = f"arn:{self.partition}:iam::{self.account}"
        for cred in creds or []:
            arn = user_arns.get(cred["UserName"], f"{prefix}:user/{cred['UserName']}")
            yield service_specific_record(self.account, cred, arn)

    def _oidc(self, iam: Any) -> Iterator[Federation]:
        arns = self.attempt(lambda: fetch.oidc_providers(iam), "iam:ListOpenIDConnectProviders", frozenset())
        for arn in arns or []:
            issuer = arn.split(":oidc-provider/", 1)[-1]
            yield Federation(
                uid=f"{PROVIDER}:oidc-provider:{arn}", provider=PROVIDER, scope=self.account, issuer=issuer
            )
