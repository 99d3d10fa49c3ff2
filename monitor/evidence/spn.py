"""The Save Page Now 2 (SPN2) API: ask the Internet Archive to capture a page, then ask how the job went.

The formats, as the Internet Archive's own client records them (internetarchive/sandcrawler,
python/sandcrawler/ia.py `SavePageNowClient` and python/tests/test_savepagenow.py):

- `POST {endpoint}/save` with `Authorization: LOW ACCESS:SECRET`, `Accept: application/json` and
  form fields `url=...` (and `capture_all=1`, ...) answers `{"url": ..., "job_id": ...}`; past the
  user's limits a 429, or 200 with `{"message": "You have already reached the limit of active
  sessions ..."}`; a request refused at once `{"status": "error", "status_ext": "error:...", ...}`.
- `GET {endpoint}/save/status/JOB` answers `{"status": "pending", "job_id", "resources"}`, then
  `{"status": "success", "original_url", "timestamp": "YYYYMMDDhhmmss", "duration_sec", ...}` or
  `{"status": "error", "status_ext": "error:invalid-host-resolution", "message", "exception"}`.
The capture is then replayed at `{endpoint}/web/TIMESTAMP/ORIGINAL_URL`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import requests

from remarkwatch.evidence.settings import SavePageNow

JOB, PENDING, SAVED, ERROR, BUSY, REFUSED = "job", "pending", "saved", "error", "busy", "refused"
# status_ext values that another try would not change (sandcrawler's crawl_resource sorts them so too).
FINAL_ERRORS = {"error:invalid-url", "error:not-found", "error:invalid-host-resolution", "error:no-access",
                "error:forbidden", "error:blocked", "error:blocked-url", "error:bad-request",
                "error:too-many-redirects", "error:filesize-limit", "error:method-not-allowed",
                "error:unauthorized", "error:blocked-by-robots"}
BUSY_ERRORS = {"error:user-session-limit", "error:too-many-daily-captures", "error:host-crawling-paused"}
LIMIT_MESSAGE = "reached the limit"


@dataclass(frozen=True)
class Answer:
    """What one SPN2 request came to.

    outcome: JOB (submitted: `job_id`), PENDING (still capturing), SAVED (`memento_url`,
    `memento_at`), ERROR (`error`; `final` when another try would not help; without `job_id` from
    a status request, the archive did not answer and the job may still run), BUSY (past the
    archive's limits: wait `retry_after_s`, no attempt spent) or REFUSED (the keys were refused)."""
    outcome: str
    job_id: str | None = None
    memento_url: str | None = None
    memento_at: str | None = None
    error: str | None = None
    final: bool = False
    retry_after_s: float | None = None


class Client:
    def __init__(self, settings: SavePageNow, credentials: tuple[str, str], user_agent: str,
                 session: requests.Session | None = None):
        self.settings = settings
        self.session = session or requests.Session()
        self.headers = {"Authorization": f"LOW {credentials[0]}:{credentials[1]}", "Accept": "application/json",
                        "User-Agent": user_agent}

    def submit(self, url: str, timeout: float) -> Answer:
        form = {"url": url, "skip_first_archive": "1"}
        if self.settings.capture_all:
            form["capture_all"] = "1"
        response = self._call("POST", "/save", timeout, data=form)
        if isinstance(response, Answer):
            return response
        body = _json(response)
        if body.get("job_id"):
            return Answer(JOB, job_id=str(body["job_id"]))
        if LIMIT_MESSAGE in str(body.get("message", "")):
            return Answer(BUSY, error=str(body["message"])[:300], retry_after_s=None)
        return self._error(body, "no job_id in the answer")

    def status(self, job_id: str, timeout: float) -> Answer:
        response = self._call("GET", f"/save/status/{job_id}", timeout)
        if isinstance(response, Answer):
            return response
        body = _json(response)
        state = body.get("status")
        if state == "pending":
            return Answer(PENDING, job_id=job_id)
        if state == "success" and body.get("timestamp") and body.get("original_url"):
            stamp = str(body["timestamp"])
            return Answer(SAVED, job_id=job_id, memento_url=f"{self.settings.endpoint}/web/{stamp}/{body['original_url']}",
                          memento_at=_iso(stamp))
        return self._error(body, f"unexpected status {state!r}", job_id)

    def _call(self, method: str, path: str, timeout: float, **kwargs) -> requests.Response | Answer:
        try:
            response = self.session.request(method, self.settings.endpoint + path, headers=self.headers,
                                            timeout=timeout, allow_redirects=False, **kwargs)
        except requests.RequestException as exc:
            return Answer(ERROR, error=f"{type(exc).__name__}: {exc}"[:300])
        if response.status_code == 429:
            return Answer(BUSY, error="HTTP 429 (too many requests)", retry_after_s=_retry_after(response))
        if response.status_code in (401, 403):
            return Answer(REFUSED, error=f"HTTP {response.status_code}: the access keys were refused")
        if response.status_code != 200:
            return Answer(ERROR, error=f"HTTP {response.status_code}", final=False)
        return response

    @staticmethod
    def _error(body: dict, fallback: str, job_id: str | None = None) -> Answer:
        """The archive's answer that the request or its job (`job_id`) failed."""
        ext = str(body.get("status_ext") or "")
        message = str(body.get("message") or fallback)
        text = f"{ext}: {message}" if ext else message
        if ext in BUSY_ERRORS:
            return Answer(BUSY, job_id=job_id, error=text[:300])
        return Answer(ERROR, job_id=job_id, error=text[:300], final=ext in FINAL_ERRORS)


def _json(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {"message": "the answer is not JSON"}
    return body if isinstance(body, dict) else {"message": "the answer is not a JSON object"}


def _retry_after(response: requests.Response, now: datetime | None = None) -> float | None:
    """Retry-After in seconds: delta-seconds or an HTTP date (RFC 9110 allows both); None without one."""
    value = response.headers.get("Retry-After", "").strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def _iso(stamp: str) -> str | None:
    try:
        when = datetime.strptime(stamp[:14], "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    return when.isoformat(timespec="seconds")
