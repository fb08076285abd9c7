"""Translate botocore errors into gap reasons at the SDK boundary."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError
from botocore.parsers import ResponseParserError

from scanner.model import GapReason

DENIED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "AuthorizationError",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "ExpiredToken",
        "SignatureDoesNotMatch",
        "AWSOrganizationsNotInUseException",
    }
)
THROTTLED = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "SlowDown",
        "LimitExceededException",
    }
)
UNSUPPORTED = frozenset(
    {
        "NotImplemented",
        "InvalidAction",
        "UnknownOperationException",
        "UnsupportedOperation",
        "OptInRequired",
        "SubscriptionRequiredException",
        "InvalidRegion",
    }
)


class ReportNotReady(Exception):
    """IAM did not finish generating the credential report in time."""


# What callers catch around every SDK call; anything else is a bug and propagates.
SDK_ERRORS = (ClientError, BotoCoreError, ResponseParserError, ReportNotReady)


def gap_reason(exc: Exception) -> GapReason:
    """The gap reason for an SDK error."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        if code in DENIED:
            return GapReason.DENIED
        if code in THROTTLED:
            return GapReason.THROTTLED
        if code in UNSUPPORTED or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 501:
            return GapReason.UNSUPPORTED
        return GapReason.ERROR
    if isinstance(exc, ResponseParserError):
        # A non-AWS body (an emulator's HTML 500 for an unimplemented operation, or a proxy page).
        return GapReason.UNSUPPORTED
    if isinstance(exc, EndpointConnectionError):
        return GapReason.ERROR
    return GapReason.ERROR


def gap_detail(exc: Exception) -> str:
    """A short, secret-free description of an SDK error."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'Error')}: {error.get('Message', '')}".strip().rstrip(":")[:300]
    if isinstance(exc, ReportNotReady):
        return str(exc)
    if isinstance(exc, ResponseParserError):
        return "the endpoint answered with a body that is not an AWS response (operation not implemented there?)"
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"
