"""Tag runs in the plan format ``costwarden plan`` writes (docs/scheduling.md "Plan JSON"), so
one tool reads both: every write is an action ``tag`` with the same keys, and every resource
that still needs a person is a skip of kind ``unresolved``. With ``grace.action: stop`` the
grace plan's stops (``services.tag_grace``, rule ``tagging.grace``) follow as the scheduler
writes them, with their outcome; its protected and transitioning resources as skips, and a
blast-radius refusal as ``blocked``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from costwarden.models.budget import Provider
from costwarden.ports_compute import Target
from costwarden.services.tag_remediation import ResourceVerdict, TagRunReport


def tag_plan_dict(
    runs: Sequence[tuple[Target, TagRunReport]], *, cloud: Provider, at: datetime, dry_run: bool
) -> dict[str, object]:
    actions: list[dict[str, object]] = []
    skipped: list[dict[str, object]] = []
    blocked: list[str] = []
    for target, report in runs:
        for verdict in report.verdicts:
            if verdict.change.set or verdict.change.remove:
                actions.append(_action(verdict))
            if verdict.unresolved:
                skipped.append(_skip(verdict))
        grace = report.grace.plan if report.grace else None
        if grace is not None:
            assert report.grace is not None
            done = {id(o.action): o for o in report.grace.outcomes}
            for planned in grace.actions:
                outcome = done.get(id(planned))
                actions.append(outcome.to_dict() if outcome else planned.to_dict())
            skipped += [s.to_dict() for s in grace.skipped]
            if grace.blocked:
                blocked.append(f"{target.label}: tag grace stops: {grace.blocked}")
    return {
        "cloud": cloud,
        "at": at.isoformat(),
        "dry_run": dry_run,
        "blocked": "; ".join(blocked) or None,
        "fleet_size": sum(r.checked for _, r in runs),
        "targets": [t.label for t, _ in runs],
        "actions": actions,
        "skipped": skipped,
        "upcoming": [],
    }


def _common(verdict: ResourceVerdict) -> dict[str, object]:
    r = verdict.resource
    return {
        "cloud": r.cloud,
        "account": r.account,
        "region": r.region,
        "resource_id": r.resource_id,
        "resource_type": r.resource_type,
        "resource_name": r.name or None,
        "team": verdict.team,
    }


def _action(verdict: ResourceVerdict) -> dict[str, object]:
    change = verdict.change
    written = ", ".join(
        f"{k}={v}" + (f" ({change.sources[k]})" if k in change.sources else "")
        for k, v in change.set.items()
    )
    removed = f"; remove {', '.join(change.remove)}" if change.remove else ""
    out: dict[str, object] = {
        "action": "tag",
        **_common(verdict),
        "reason": f"set {written}{removed}" if written else f"remove {', '.join(change.remove)}",
        "rule": "tagging.required",
        "schedule": None,
        "estimated_monthly_saving": None,
        "currency": "USD",
        "saving_basis": None,
        "details": {"set": dict(change.set), "remove": list(change.remove)},
    }
    if verdict.outcome is not None:
        out["status"] = verdict.outcome.status
        out["message"] = verdict.outcome.message
    return out


def _skip(verdict: ResourceVerdict) -> dict[str, object]:
    problems = "; ".join(f"{k}: {why}" for k, why in verdict.unresolved.items())
    due = f" (due {verdict.due.isoformat()})" if verdict.due else ""
    return {
        "kind": "unresolved",
        **_common(verdict),
        "reason": problems + due,
        "rule": "tagging.required",
    }
