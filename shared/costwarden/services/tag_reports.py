"""Turn a tag run into one Slack message per team, posted once per run.

A redelivered event or a re-run sweep with the same ``run_id`` posts nothing new: each
(team, target, run) message is claimed with ``StateStore.put_if_absent`` first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from costwarden.errors import AlertInProgressError
from costwarden.models.notification import PostedMessage, Route
from costwarden.models.tag_report import TagFixLine, TagReportMessage, TagViolationLine
from costwarden.policy.routing import DEFAULT_RULE
from costwarden.policy.schema import Policy
from costwarden.ports import ClaimStatus, StateStore
from costwarden.services.tag_remediation import ResourceVerdict, TagRunReport
from costwarden.tagging.rules import CloudTagRules

_LEASE = timedelta(minutes=5)


class TagReportNotifier(Protocol):
    def post_tag_report(self, message: TagReportMessage) -> PostedMessage: ...


def team_route(policy: Policy, team: str | None) -> Route:
    if team is not None and team in policy.teams:
        config = policy.teams[team]
        return Route(
            channel=config.slack_channel or policy.slack.default_channel,
            team=team,
            mentions=config.mentions,
            rule=f"teams.{team}",
        )
    return Route(
        channel=policy.slack.default_channel,
        mentions=policy.slack.default_mentions,
        rule=DEFAULT_RULE,
    )


def build_tag_reports(
    report: TagRunReport,
    *,
    policy: Policy,
    rules: CloudTagRules,
    target: str,
    run_id: str,
    dry_run: bool,
) -> list[TagReportMessage]:
    """One message per team that has something to hear (violations, fixes or failures)."""
    by_team: dict[str | None, list[ResourceVerdict]] = defaultdict(list)
    for verdict in report.verdicts:
        by_team[verdict.team].append(verdict)
    messages = []
    for team, verdicts in sorted(by_team.items(), key=lambda kv: kv[0] or ""):
        violations = tuple(_violation(v, rules) for v in verdicts if v.unresolved)
        fixed = tuple(
            TagFixLine(
                _name(v),
                tuple(f"{k}={val}" for k, val in v.change.set.items() if k != rules.mark_key),
            )
            for v in verdicts
            if v.outcome is not None
            and v.outcome.status in ("done", "not_applied")
            and any(k != rules.mark_key for k in v.change.set)
        )
        failed = tuple(
            f"{_name(v)}: {v.outcome.message}"
            for v in verdicts
            if v.outcome is not None and v.outcome.status == "failed"
        )
        actions = tuple(sorted({_grace_line(v, report, team) for v in verdicts if v.overdue}))
        if not (violations or fixed or failed):
            continue
        messages.append(
            TagReportMessage(
                route=team_route(policy, team),
                target=target,
                run_id=run_id,
                # the team's own resources, compliant ones included (they have no verdict)
                checked=report.checked_by_team.get(team, len(verdicts)),
                compliant=report.compliant_by_team.get(team, 0),
                fixed=fixed,
                violations=violations,
                failed=failed,
                actions=actions,
                dry_run=dry_run,
                mark_key=rules.mark_key,
            )
        )
    return messages


def publish_tag_reports(
    messages: Sequence[TagReportMessage],
    *,
    notifier: TagReportNotifier,
    state: StateStore,
    now: datetime,
    owner: str,
) -> int:
    """Post each message unless this run already posted it; returns how many were posted.

    Claim, post, complete: a failed post releases the claim and re-raises, so the platform's
    redelivery posts it then; a redelivery after success finds it done and posts nothing. A
    claim another invocation still holds (it is posting, or died before it could release)
    raises ``AlertInProgressError`` once the other messages are posted, as budget alerts do:
    the platform retries, and after the lease the retry posts it. Skipping it quietly would
    lose the report whenever the holder never finishes.
    """
    posted = 0
    busy: list[str] = []
    for message in messages:
        key = f"tag-report/{message.run_id}/{message.target}/{message.route.team or '-'}"
        claim = state.claim(key, owner=owner, now=now, lease=_LEASE)
        if claim.status is ClaimStatus.BUSY:
            busy.append(key)
            continue
        if claim.status is not ClaimStatus.ACQUIRED:
            continue
        try:
            sent = notifier.post_tag_report(message)
        except Exception:
            state.release(key, owner=owner)
            raise
        state.complete(key, owner=owner, data={"channel": sent.channel, "ts": sent.ts})
        posted += 1
    if busy:
        raise AlertInProgressError(
            f"{', '.join(busy)}: being posted by another invocation; retry later"
        )
    return posted


def _grace_line(verdict: ResourceVerdict, report: TagRunReport, team: str | None) -> str:
    """What the grace action did: escalation (notify, or a resource that cannot be stopped),
    or the stop's result (stopped, would stop, protected, blocked by the cap, failed)."""
    head = f"{_name(verdict)}: grace period over — "
    where = team or "the default channel"
    step = report.grace.steps.get(verdict.resource.resource_id) if report.grace else None
    if step is None:
        return f"{head}escalated to {where}"
    if step.status == "escalated":
        return f"{head}{step.message} to {where}"
    return head + step.message


def _name(verdict: ResourceVerdict) -> str:
    return verdict.resource.name or verdict.resource.resource_id


def _violation(verdict: ResourceVerdict, rules: CloudTagRules) -> TagViolationLine:
    problems = tuple(f"{key}: {why}" for key, why in verdict.unresolved.items())
    return TagViolationLine(
        resource=_name(verdict),
        resource_type=verdict.resource.resource_type,
        account=verdict.resource.account,
        problems=problems,
        due=verdict.due,
        overdue=verdict.overdue,
    )
