"""A local AWS emulator: moto's server on loopback with call counting, fault injection and AWS-like IAM."""

from __future__ import annotations

import logging
import threading
import urllib.request
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from datetime import datetime
from http import HTTPStatus
from types import TracebackType
from typing import Any

from moto.moto_api._internal.models import moto_api_backend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from connectors.aws import emulator_iam, emulator_ssc, emulator_state
from connectors.aws.emulator_iam import DEFAULT_MANAGED_POLICIES, IamSettings
from connectors.aws.emulator_ledger import CallLedger, FaultPlan
from connectors.aws.emulator_state import EntityKind
from connectors.aws.emulator_wire import RequestInfo, RWLock, buffer_body, classify, error_response

__all__ = ["DEFAULT_MANAGED_POLICIES", "DEMO_CREDENTIALS", "AwsEmulator"]

log = logging.getLogger(__name__)
DEMO_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
StartResponse = Callable[..., Any]


class _QuietHandler(MotoRequestHandler):
    """moto's request handler, logging through `logging` at DEBUG instead of to stderr."""

    def log(self, kind: str, message: str, *args: Any) -> None:
        """Send werkzeug's access and error log lines to this module's logger."""
        log.debug("%s " + message, self.address_string(), *args)


class AwsEmulator:
    """moto in this process on 127.0.0.1, wrapped in a WSGI middleware that counts calls and injects faults.

    moto's state is process-wide: start() begins from an empty state unless another emulator is running in this
    process, in which case both share accounts (and reset() clears both).
    """

    def __init__(
        self, *, gaad_page_size: int = 100, managed_policies: Iterable[str] = DEFAULT_MANAGED_POLICIES
    ) -> None:
        self._settings = IamSettings(gaad_page_size=gaad_page_size, managed_policies=tuple(managed_policies))
        self.url = ""
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._app: Any = None
        self._session: Any = None
        self._lock = RWLock()  # moto: concurrent reads are fine, writes are not
        self._session_lock = threading.Lock()
        self._ledger = CallLedger()
        self._faults = FaultPlan()

    # lifecycle

    def start(self) -> str:
        """Start serving; returns the endpoint URL (also in self.url)."""
        if self._server is not None:
            return self.url
        emulator_iam.check_managed_policy_names(self._settings.managed_policies)
        alone = emulator_iam.active_settings() is None
        emulator_iam.activate(self._settings)
        with self._lock.write():
            if alone:  # start empty, like a new moto server; a running emulator's state is shared, so kept
                moto_api_backend.reset()
            emulator_iam.add_to_existing_backends(self._settings.managed_policies)
        self._app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server("127.0.0.1", 0, self, threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="aws-emulator", daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        return self.url

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None
        emulator_iam.deactivate(self._settings)

    def __enter__(self) -> AwsEmulator:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def reset(self) -> None:
        """Reset moto's state (POST /moto-api/reset) and clear faults, counts and the emulator's own stores."""
        request = urllib.request.Request(f"{self._require_url()}/moto-api/reset", method="POST", data=b"")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
        with opener.open(request, timeout=30) as response:
            response.read()
        self.clear_faults()
        self.reset_counts()

    def _require_url(self) -> str:
        if not self.url:
            raise RuntimeError("AwsEmulator is not started")
        return self.url

    # clients

    def client(self, service: str, *, region: str = "us-east-1", max_attempts: int | None = None, **creds: str) -> Any:
        """A boto3 client for this endpoint; demo credentials unless keyword credentials are given."""
        import boto3
        from botocore.config import Config

        retries: dict[str, Any] = {"mode": "standard"}
        if max_attempts is not None:
            retries["total_max_attempts"] = max_attempts
        with self._session_lock:  # a boto3 Session is not thread-safe; sharing one shares its loaded service models
            if self._session is None:
                self._session = boto3.session.Session()
            session = self._session
        return session.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self._require_url(),
            region_name=region,
            config=Config(retries=retries),
            **(creds or DEMO_CREDENTIALS),
        )

    def assumed_client(
        self, service: str, account: str, *, role_name: str = "OrganizationAccountAccessRole", region: str = "us-east-1"
    ) -> Any:
        """A boto3 client in another account, through sts:AssumeRole from the default account."""
        creds = self.client("sts", region=region).assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/{role_name}", RoleSessionName="shadowsweep-emulator"
        )["Credentials"]
        return self.client(
            service,
            region=region,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )

    # call counting

    def counts(self) -> dict[str, dict[str, int]]:
        """Requests seen so far: {account_id: {"service:Operation": n}}."""
        return self._ledger.counts()

    def total_calls(self, account: str | None = None) -> int:
        """Requests seen in one account, or in all of them."""
        return self._ledger.total(account)

    def unsupported(self) -> dict[str, int]:
        """Operations moto does not implement that were called (answered 501 NotImplemented)."""
        return self._ledger.unsupported()

    def reset_counts(self) -> None:
        """Forget every count (and the unsupported-operation tally)."""
        self._ledger.clear()

    # fault injection

    def deny(self, operation: str, account: str | None = None) -> None:
        """Answer "service:Operation" with 403 until cleared, in one account or everywhere.

        The code is AccessDenied (query, rest-xml), AccessDeniedException (json, rest-json) or UnauthorizedOperation
        (ec2), in the protocol's own error format.
        """
        self._faults.deny(operation, account)

    def throttle(self, operation: str, account: str | None = None, times: int = 1) -> None:
        """Answer "service:Operation" with 400 Throttling (ThrottlingException, RequestLimitExceeded) `times` times."""
        self._faults.throttle(operation, account, times)

    def deny_assume_role(self, target_account: str) -> None:
        """Deny sts:AssumeRole into any role of target_account."""
        self._faults.deny_assume_role(target_account)

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self._faults.clear()

    # WSGI

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """The middleware: classify, count, maybe fail, else let moto answer under the right lock."""
        if environ.get("PATH_INFO", "").startswith("/moto-api"):
            with self._lock.write():
                return self._run(environ, start_response)
        info = classify(environ, buffer_body(environ))
        self._ledger.record(info)
        fault = self._faults.match(info)
        if fault is not None:
            return _respond(start_response, info, *fault)
        try:
            with self._lock.read() if info.is_read else self._lock.write():
                return self._run(environ, start_response)
        except NotImplementedError as exc:
            log.debug("moto does not implement %s: %s", info.key, exc)
            self._ledger.record_unsupported(info)
            return _respond(start_response, info, 501, "NotImplemented", f"moto does not implement {info.key}")

    def _run(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        """Run moto and drain its response while the lock is held; an unrouted path is NotImplementedError."""
        try:
            backend_app = self._app.get_application(environ)
        except AttributeError as exc:  # moto has no backend at all for this service
            raise NotImplementedError(str(exc)) from exc
        captured: list[Any] = []
        result = backend_app(environ, lambda *args: captured.extend(args))
        try:
            body = list(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers = captured[0], captured[1]
        html = any(k.lower() == "content-type" and "text/html" in v for k, v in headers)
        if status.startswith("404") and html and not environ.get("PATH_INFO", "").startswith("/moto-api"):
            raise NotImplementedError("moto routes no operation for this path")
        start_response(*captured)
        return body

    # state the API cannot set

    def exclusive(self) -> AbstractContextManager[None]:
        """Hold the write lock while changing moto's state in-process (for example bulk seeding for benchmarks)."""
        return self._lock.write()

    def add_service_specific_credential(
        self,
        account: str,
        user_name: str,
        service_name: str = emulator_ssc.BEDROCK,
        *,
        created: datetime | None = None,
        active: bool = True,
        expires: datetime | None = None,
    ) -> str:
        """Add an IAM service-specific credential (a Bedrock API key by default); returns its id."""
        with self._lock.write():
            backend = emulator_state.iam_backend(account)
            record = emulator_ssc.add_credential(
                backend, user_name, service_name, created=created, active=active, expires=expires
            )
        return str(record["ServiceSpecificCredentialId"])

    def set_access_key_dates(
        self,
        account: str,
        user_name: str,
        access_key_id: str,
        *,
        created: datetime | None = None,
        last_used: datetime | None = None,
        last_used_service: str = "iam",
        last_used_region: str = "us-east-1",
    ) -> None:
        """Set an access key's CreateDate and AccessKeyLastUsed."""
        with self._lock.write():
            emulator_state.set_access_key_dates(
                account,
                user_name,
                access_key_id,
                created=created,
                last_used=last_used,
                last_used_service=last_used_service,
                last_used_region=last_used_region,
            )

    def set_role_last_used(self, account: str, role_name: str, when: datetime, region: str = "us-east-1") -> None:
        """Set a role's RoleLastUsed."""
        with self._lock.write():
            emulator_state.set_role_last_used(account, role_name, when, region)

    def set_user_password_last_used(self, account: str, user_name: str, when: datetime) -> None:
        """Set a user's PasswordLastUsed."""
        with self._lock.write():
            emulator_state.set_user_password_last_used(account, user_name, when)

    def set_created(self, account: str, kind: EntityKind, name: str, when: datetime) -> None:
        """Set the CreateDate of a user, role, group or customer managed policy."""
        with self._lock.write():
            emulator_state.set_created(account, kind, name, when)


def _respond(start_response: StartResponse, info: RequestInfo, status: int, code: str, message: str) -> list[bytes]:
    """Answer with an AWS error in the request's protocol."""
    headers, body = error_response(info.protocol, info.service, code, message)
    headers["Content-Length"] = str(len(body))
    start_response(f"{status} {HTTPStatus(status).phrase}", list(headers.items()))
    return [body]
