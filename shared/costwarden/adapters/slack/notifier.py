"""``SlackNotifier``: the ``Notifier`` port on the Slack Web API (``chat.postMessage``).

Daily digests add a chart, uploaded with ``files_upload_v2`` (``files.getUploadURLExternal``, an
HTTP POST of the bytes, ``files.completeUploadExternal``). That API takes channel *ids* only; the
digest message is posted first and ``chat.postMessage`` answers with the channel's id, so a policy
may keep using ``#names`` and no ``channels:read`` scope or ``conversations.list`` paging is
needed.

Delivery either succeeds or raises ``NotificationError``: the service releases its dedup claim on
that error so the platform's redelivery can post later. A message that is silently dropped (the
way Cloud Custodian's mailer drops HTTP 429s) would instead look like success.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Sequence
from http.client import HTTPException
from urllib.error import HTTPError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import (
    BackoffRetryIntervalCalculator,
    ConnectionErrorRetryHandler,
    HttpRequest,
    HttpResponse,
    Jitter,
    RateLimitErrorRetryHandler,
    RetryHandler,
    RetryState,
)
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.models.blocks import Block

from costwarden.adapters.slack.budget_blocks import render_budget_alert
from costwarden.adapters.slack.digest_blocks import chart_alt_text, chart_comment, render_digest
from costwarden.adapters.slack.schedule_blocks import render_schedule_report
from costwarden.adapters.slack.tag_blocks import render_tag_report
from costwarden.errors import NotificationError
from costwarden.models.digest import DigestMessage, PostedDigest
from costwarden.models.notification import BudgetAlertMessage, PostedMessage
from costwarden.models.schedule_report import ScheduleReportMessage
from costwarden.models.tag_report import TagReportMessage

#: Longest Retry-After we are willing to sleep through inside one function invocation. Slack's
#: per-channel limit is about one message a second, so real waits are short; a long one means a
#: workspace-wide limit, and failing fast lets the platform redeliver instead of timing out.
DEFAULT_MAX_RETRY_AFTER = 30

# What each Slack error code means for the person reading the function's logs.
_HINTS = {
    "invalid_auth": "check the bot token configured for this deployment",
    "not_authed": "no bot token was sent; check the deployment's Slack token setting",
    "token_revoked": "the app was uninstalled or the token revoked; reinstall and update it",
    "account_inactive": "the token belongs to a deactivated user or workspace",
    "not_in_channel": "invite the bot to the channel: /invite @costwarden",
    "channel_not_found": "check the channel id, and invite the bot if the channel is private",
    "is_archived": "the channel is archived; route the team to another channel",
    "missing_scope": "the app lacks the chat:write scope; reinstall it from the manifest",
    "ratelimited": "Slack rate-limited the app past its retries; the platform will redeliver",
    "invalid_blocks": "Slack rejected the Block Kit payload (a costwarden bug: please report)",
}
# The same codes mean something else for a file upload.
_UPLOAD_HINTS = {
    **_HINTS,
    "missing_scope": "the app lacks the files:write scope; reinstall it from the manifest",
    "not_in_channel": "invite the bot to the channel (files need membership): /invite @costwarden",
    "channel_not_found": "invite the bot to the channel: uploads need it to be a member",
    "file_uploads_disabled": "the workspace disabled uploads; set allocation.digest.chart: none",
    "invalid_arguments": "Slack refused the upload's arguments (a costwarden bug: please report)",
}
_TOKEN = re.compile(r"xox[a-z]-[A-Za-z0-9-]+")


class SlackNotifier:
    """Posts budget alerts with a ``WebClient`` (build it with ``build_slack_client``)."""

    def __init__(
        self,
        client: WebClient,
        *,
        upload_retries: int = 3,
        upload_backoff: float = 0.5,
        max_retry_after: int = DEFAULT_MAX_RETRY_AFTER,
    ) -> None:
        self._client = client
        # The chart's byte upload is a plain HTTP POST that slack-sdk makes outside the
        # client's retry handlers: its 429s and 5xx are retried here (see upload_digest_chart).
        self._upload_retries = upload_retries
        self._upload_backoff = upload_backoff
        self._max_retry_after = max_retry_after

    def post_budget_alert(self, message: BudgetAlertMessage) -> PostedMessage:
        text, blocks = render_budget_alert(message)
        channel = message.route.channel
        try:
            response = self._client.chat_postMessage(
                channel=channel,
                text=text,
                blocks=blocks,
                thread_ts=message.thread_ts,
                # A later threshold replies in the budget period's thread; broadcasting keeps the
                # channel seeing it, since 100% matters more than the 50% that opened the thread.
                reply_broadcast=True if message.thread_ts else None,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as err:
            raise NotificationError(self._api_error_text(channel, err)) from err
        except (SlackClientError, OSError, HTTPException) as err:
            # OSError covers URLError, refused/reset connections and timeouts.
            detail = self._redact(f"{type(err).__name__}: {err}")
            problem = f"could not reach Slack to post to {channel}: {detail}"
            raise NotificationError(problem) from err
        posted_channel, ts = response.get("channel"), response.get("ts")
        if not isinstance(posted_channel, str) or not isinstance(ts, str):
            raise NotificationError(f"Slack accepted the post to {channel} but returned no ts")
        return PostedMessage(channel=posted_channel, ts=ts)

    # -- daily digests -----------------------------------------------------------------------
    def post_digest(self, message: DigestMessage) -> PostedDigest:
        """Post a digest and, unless ``message.chart`` is ``none``, upload its chart."""
        posted = self.post_digest_message(message)
        file_id = None
        if message.chart != "none":
            file_id = self.upload_digest_chart(message, posted=posted)
        return PostedDigest(channel=posted.channel, ts=posted.ts, file_id=file_id)

    def post_digest_message(self, message: DigestMessage) -> PostedMessage:
        """The digest's Block Kit message. Returns the channel *id* and ts Slack answered."""
        text, blocks = render_digest(message)
        return self._post(message.channel, text, blocks)

    # -- scheduler and tag reports ---------------------------------------------------------------
    def post_schedule_report(self, message: ScheduleReportMessage) -> PostedMessage:
        """One team's schedule report (``message.channel`` is resolved by the service)."""
        text, blocks = render_schedule_report(message)
        return self._post(message.channel, text, blocks, thread_ts=message.thread_ts)

    def post_tag_report(self, message: TagReportMessage) -> PostedMessage:
        """One team's tag-policy report for one run."""
        text, blocks = render_tag_report(message)
        return self._post(message.route.channel, text, blocks)

    def _post(
        self, channel: str, text: str, blocks: Sequence[Block], *, thread_ts: str | None = None
    ) -> PostedMessage:
        """``chat.postMessage`` with errors turned into ``NotificationError`` (token redacted)."""
        try:
            response = self._client.chat_postMessage(
                channel=channel,
                text=text,
                blocks=blocks,
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as err:
            raise NotificationError(self._api_error_text(channel, err)) from err
        except (SlackClientError, OSError, HTTPException) as err:
            detail = self._redact(f"{type(err).__name__}: {err}")
            problem = f"could not reach Slack to post to {channel}: {detail}"
            raise NotificationError(problem) from err
        posted_channel, ts = response.get("channel"), response.get("ts")
        if not isinstance(posted_channel, str) or not isinstance(ts, str):
            raise NotificationError(f"Slack accepted the post to {channel} but returned no ts")
        return PostedMessage(channel=posted_channel, ts=ts)

    def upload_digest_chart(self, message: DigestMessage, *, posted: PostedMessage) -> str:
        """Upload the digest's chart next to (or, ``chart: thread``, under) ``posted``.

        ``posted.channel`` is the id ``chat.postMessage`` returned: ``files_upload_v2`` refuses
        names. Returns the Slack file id.
        """
        # Imported here: matplotlib is the cost extra's and takes a while to import, so budget
        # alert functions (which never draw) do not pay for it.
        from costwarden.adapters.slack.chart import render_digest_chart

        digest = message.digest
        png = render_digest_chart(digest)
        who = digest.team or "all-teams"
        in_thread = message.chart == "thread"
        attempt = 0
        try:
            while True:
                attempt += 1
                try:
                    response = self._client.files_upload_v2(
                        channel=posted.channel,
                        file=png,
                        filename=f"costwarden-{who}-{digest.day.isoformat()}.png",
                        title=f"Daily cost, {digest.title}, {digest.day.isoformat()}",
                        alt_txt=chart_alt_text(digest),
                        initial_comment=None if in_thread else chart_comment(digest),
                        thread_ts=posted.ts if in_thread else None,
                    )
                    break
                except HTTPError as err:
                    # The byte upload answered 429 or 5xx: a new upload URL, after a pause.
                    # An unfinished upload is never shared, so nothing is posted twice.
                    wait = self._upload_retry_wait(err, attempt)
                    if wait is None:
                        raise
                    time.sleep(wait)
        except SlackApiError as err:
            text = self._api_error_text(posted.channel, err, hints=_UPLOAD_HINTS)
            raise NotificationError(text.replace("the post to", "the chart upload to")) from err
        except (SlackClientError, OSError, HTTPException) as err:
            detail = self._redact(f"{type(err).__name__}: {err}")
            problem = f"could not upload the chart to {posted.channel}: {detail}"
            raise NotificationError(problem) from err
        file = response.get("file")
        file_id = file.get("id") if isinstance(file, dict) else None
        if not isinstance(file_id, str):
            raise NotificationError(f"Slack accepted the chart for {posted.channel} but no file id")
        return file_id

    def _upload_retry_wait(self, err: HTTPError, attempt: int) -> float | None:
        """Seconds to wait before retrying a failed byte upload; None: do not retry."""
        if attempt > self._upload_retries or not (err.code == 429 or 500 <= err.code < 600):
            return None
        backoff = self._upload_backoff * (1 << (attempt - 1))
        raw = err.headers.get("Retry-After") if err.headers is not None else None
        if raw is None:
            return backoff
        try:
            wait = int(raw)
        except ValueError:
            return None  # an HTTP-date: fail and let the platform retry later
        return max(wait, 0) if wait <= self._max_retry_after else None

    def _api_error_text(
        self, channel: str, err: SlackApiError, *, hints: dict[str, str] = _HINTS
    ) -> str:
        data = err.response.data
        code = data.get("error") if isinstance(data, dict) else None
        code = str(code) if code else "unknown_error"
        text = f"Slack refused the post to {channel}: {code} (HTTP {err.response.status_code})"
        hint = hints.get(code)
        if hint:
            text += f"; {hint}"
        return self._redact(text)

    def _redact(self, text: str) -> str:
        """Keep the token out of messages that end up in logs and alerts."""
        token = self._client.token
        if token:
            text = text.replace(token, "[token]")
        return _TOKEN.sub("[token]", text)


def build_slack_client(
    token: str,
    *,
    base_url: str | None = None,
    max_retries: int = 3,
    timeout: int = 10,
    backoff_factor: float = 0.5,
    max_retry_after: int = DEFAULT_MAX_RETRY_AFTER,
) -> WebClient:
    """A ``WebClient`` that retries what is worth retrying.

    slack-sdk retries only connection errors by default. Added here: HTTP 429 (sleeping for
    Slack's ``Retry-After``, up to ``max_retry_after``) and HTTP 500/503. ``backoff_factor``
    spaces the other retries (factor, 2x factor, 4x factor, each plus up to as much jitter).

    Retrying a post after a 5xx can, rarely, post twice (Slack may have stored the first);
    a duplicate beats a lost budget alert. A read timeout after the request was sent is *not*
    retried (slack-sdk raises it outside the retried error types), which avoids most of those.
    """
    interval = BackoffRetryIntervalCalculator(
        backoff_factor=backoff_factor, jitter=_ProportionalJitter()
    )
    handlers: list[RetryHandler] = [
        ConnectionErrorRetryHandler(max_retry_count=max_retries, interval_calculator=interval),
        CappedRateLimitRetryHandler(max_retry_count=max_retries, max_wait=max_retry_after),
        ServerErrorRetryHandler(max_retry_count=max_retries, interval_calculator=interval),
    ]
    return WebClient(
        token=token,
        base_url=base_url or WebClient.BASE_URL,
        timeout=timeout,
        retry_handlers=handlers,
    )


class CappedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """Retries HTTP 429 after ``Retry-After``, unless Slack asks for more than ``max_wait``."""

    def __init__(self, *, max_retry_count: int, max_wait: int) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        assert response is not None  # the base class retries only responses with status 429
        raw = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), None)
        if raw is None:
            return True  # no header: the base class waits about a second
        value = raw[0] if isinstance(raw, list) else raw
        try:
            wait = int(value)
        except ValueError:
            # An HTTP-date would crash the base class's int(): report "ratelimited" instead.
            return False
        return wait <= self.max_wait


class _ProportionalJitter(Jitter):
    """Adds up to 100% of the interval. slack-sdk's default adds up to one whole second to
    every wait, which dominates a 0.5 s back-off and makes fast tests impossible."""

    def recalculate(self, duration: float) -> float:
        return duration + random.uniform(0, duration)  # noqa: S311 - jitter, not crypto
