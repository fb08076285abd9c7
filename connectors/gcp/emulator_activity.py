"""API Keys v2 key listing, and Policy Analyzer v1 activities:query (service-account and key last authentication).

Activity shape follows Google's "View recent usage for service accounts and keys" page: fullResourceName names the
account by email, times are whole Pacific days written as T07:00:00Z, lastAuthenticatedTime is absent for a key
never used in the observation period. Choices where the docs are silent: only user-managed keys are reported (the
system-managed ones cannot leak), the window is the two years before `org.now`, the default page is 100 (max 1000,
non-positive sizes ignored, as documented). API keys: default page 50, at most 300.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from connectors.gcp.emulator_call import Call, Json, PageRule, paged, require_project
from connectors.gcp.emulator_faults import invalid_argument
from connectors.gcp.emulator_model import USER_MANAGED, Project, ServiceAccount, ServiceAccountKey
from connectors.gcp.emulator_wire import api_key_json

API_KEY_PAGE = PageRule(default=50, maximum=300)
ACTIVITY_PAGE = PageRule(default=100, maximum=1000, nonpositive_is_default=True)
KEY_ACTIVITY = "serviceAccountKeyLastAuthentication"
ACCOUNT_ACTIVITY = "serviceAccountLastAuthentication"
OBSERVATION_DAYS = 730
_FILTER_TERM = re.compile(r'activities\.(?:full_resource_name|fullResourceName)\s*=\s*"(?P<name>[^"]+)"')
_PACIFIC = timedelta(hours=8)


def list_api_keys(call: Call, match: re.Match[str]) -> Json:
    """GET /v2/projects/{id or number}/locations/global/keys -> {"keys": [...], "nextPageToken"}."""
    project = require_project(call, match["project"], "apikeys.keys.list")
    return paged(call, project.api_keys, API_KEY_PAGE, "keys", lambda key: api_key_json(project, key))


def pacific_day(moment: datetime) -> datetime:
    """The US Pacific (UTC-8) day of `moment`, as Activity Analyzer reports it: that day at 07:00 UTC."""
    day = (moment - _PACIFIC).date()
    return datetime(day.year, day.month, day.day, 7, tzinfo=moment.tzinfo)


def _observation(call: Call) -> tuple[datetime, datetime]:
    end = pacific_day(call.org.now)
    return end - timedelta(days=OBSERVATION_DAYS), end


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _wanted(call: Call) -> set[str] | None:
    """Full resource names a filter asks for (at most 10, OR-ed); None: no filter."""
    text = call.one("filter")
    if not text:
        return None
    names = {m["name"] for m in _FILTER_TERM.finditer(text)}
    rest = _FILTER_TERM.sub(" ", text).replace(" OR ", " ").strip()
    if rest or not names or len(names) > 10:
        raise invalid_argument(f"Invalid filter: {text!r}.", "filter")
    return names


def _entry(period: tuple[datetime, datetime], kind: str, detail: Json, last: datetime | None) -> Json:
    """One activity: the documented fields, lastAuthenticatedTime only when seen inside the observation period."""
    start, end = period
    detail_key = "serviceAccountKey" if kind == KEY_ACTIVITY else "serviceAccount"
    activity: Json = {detail_key: detail}
    if last is not None and start <= pacific_day(last) <= end:
        activity = {"lastAuthenticatedTime": _stamp(pacific_day(last)), **activity}
    return {
        "activity": activity,
        "activityType": kind,
        "fullResourceName": detail["fullResourceName"],
        "observationPeriod": {"startTime": _stamp(start), "endTime": _stamp(end)},
    }


def _detail(project: Project, account: ServiceAccount, key: ServiceAccountKey | None) -> Json:
    name = f"//iam.googleapis.com/projects/{project.project_id}/serviceAccounts/{account.email}"
    if key is not None:
        name += f"/keys/{key.key_id}"
    return {"fullResourceName": name, "projectNumber": project.number, "serviceAccountId": account.unique_id}


def _entries(call: Call, project: Project, kind: str) -> list[Json]:
    period = _observation(call)
    if kind == ACCOUNT_ACTIVITY:
        return [
            _entry(period, kind, _detail(project, sa, None), sa.last_authenticated) for sa in project.service_accounts
        ]
    return [
        _entry(period, kind, _detail(project, sa, key), key.last_authenticated)
        for sa in project.service_accounts
        for key in sa.keys
        if key.key_type == USER_MANAGED
    ]


def query_activities(call: Call, match: re.Match[str]) -> Json:
    """GET /v1/projects/{project}/locations/global/activityTypes/{type}/activities:query."""
    kind = match["activity"]
    if kind not in (KEY_ACTIVITY, ACCOUNT_ACTIVITY):
        raise invalid_argument(f"Unsupported activity type: {kind}.", "parent")
    project = require_project(call, match["project"], f"policyanalyzer.{kind}Activities.query")
    entries = _entries(call, project, kind)
    wanted = _wanted(call)
    if wanted is not None:
        entries = [e for e in entries if e["fullResourceName"] in wanted]
    return paged(call, entries, ACTIVITY_PAGE, "activities", lambda entry: entry)
