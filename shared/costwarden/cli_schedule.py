"""``costwarden plan`` and ``costwarden apply``: the scheduler from a terminal or a CI job.

Both compute the plan of every target of one cloud (the policy's ``targets`` section, or AWS
Organizations) for one instant, with the same service and adapters the deployed worker uses,
and the credentials of the shell. ``plan`` changes nothing; ``apply`` then carries the plan out
(unless dry-run is on, in the policy or ``COSTWARDEN_DRY_RUN``) and prints one outcome per
resource. Neither posts to Slack: the terminal is the report.

Exit status: 0 done; 1 a plan was blocked by the blast-radius cap, a target could not be read,
or an action failed; 2 bad input (policy, settings, ``--at``). ``--output`` writes the plan as
JSON: ``Plan.to_dict()`` of all targets together (``docs/scheduling.md`` lists its keys), plus
``targets`` (each target's fleet size, block and error); after ``apply`` every action also
carries its outcome's ``status`` and ``message``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from costwarden.errors import CostwardenError, PolicyError

if TYPE_CHECKING:
    from rich.console import Console

    from costwarden.plan.model import Outcome, Plan, PlannedAction
    from costwarden.ports_compute import Target

Cloud = Literal["aws", "azure", "gcp"]

PolicyOption = Annotated[
    Path, typer.Option("--policy", help="policy YAML file", show_default=False)
]
CloudOption = Annotated[Cloud, typer.Option("--cloud", help="which cloud's targets to plan")]
AtOption = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="plan for this instant, ISO 8601 with an offset (2026-11-20T19:15:00Z); default now",
        show_default=False,
    ),
]
OutputOption = Annotated[
    Path | None,
    typer.Option("--output", help="also write the plan as JSON to this file", show_default=False),
]
SkippedOption = Annotated[
    bool, typer.Option("--show-skipped", help="list every skipped resource and why")
]


def register(app: typer.Typer) -> None:
    """Add ``plan`` and ``apply`` to the ``costwarden`` command."""
    app.command("plan")(plan)
    app.command("apply")(apply)


def plan(
    policy: PolicyOption,
    cloud: CloudOption,
    at: AtOption = None,
    output: OutputOption = None,
    show_skipped: SkippedOption = False,
) -> None:
    """Show what the scheduler would stop and start now (or --at), changing nothing."""
    run = _run(policy, cloud, at, apply_actions=False)
    _report(run, show_skipped=show_skipped)
    _write(run, output)
    raise typer.Exit(1 if run.blocked or run.errors else 0)


def apply(
    policy: PolicyOption,
    cloud: CloudOption,
    at: AtOption = None,
    output: OutputOption = None,
    show_skipped: SkippedOption = False,
) -> None:
    """Plan as `costwarden plan` does, then stop and start: one outcome per resource."""
    run = _run(policy, cloud, at, apply_actions=True)
    _report(run, show_skipped=show_skipped)
    _write(run, output)
    failed = any(o.status == "failed" for o in run.outcomes)
    raise typer.Exit(1 if failed or run.blocked or run.errors else 0)


# -- running ------------------------------------------------------------------------------------
@dataclass
class _TargetRun:
    target: Target
    plan: Plan | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    error: str | None = None


@dataclass
class _Run:
    cloud: Cloud
    at: datetime
    dry_run: bool
    applied: bool
    targets: list[_TargetRun]

    @property
    def plans(self) -> list[Plan]:
        return [t.plan for t in self.targets if t.plan is not None]

    @property
    def outcomes(self) -> list[Outcome]:
        return [o for t in self.targets for o in t.outcomes]

    @property
    def blocked(self) -> list[str]:
        return [
            f"{t.target.label}: {t.plan.blocked}" for t in self.targets if t.plan and t.plan.blocked
        ]

    @property
    def errors(self) -> list[str]:
        return [f"{t.target.label}: {t.error}" for t in self.targets if t.error]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _parse_at(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise _fail(f"--at {text!r} is not an ISO 8601 time (2026-11-20T19:15:00Z)") from None
    if at.tzinfo is None:
        # A local wall time means different instants on a laptop and in CI: refuse to guess.
        raise _fail(f"--at {text!r} has no UTC offset: add Z or +01:00")
    return at.astimezone(UTC)


def _run(policy_file: Path, cloud: Cloud, at_text: str | None, *, apply_actions: bool) -> _Run:
    at = _parse_at(at_text)  # before any import or API call: a typo costs nothing

    from costwarden.bootstrap_schedule import (
        build_savings,
        build_target_directory,
        is_dry_run,
        target_ports_factory,
    )
    from costwarden.policy import load_policy
    from costwarden.schedule import ScheduleClock
    from costwarden.services.scheduler import apply_plan, plan_target
    from costwarden.settings import load_settings

    try:
        policy = load_policy(policy_file)
    except PolicyError as exc:
        for problem in exc.problems:
            typer.echo(problem, err=True)
        raise typer.Exit(2) from None
    try:
        settings = load_settings()
        dry_run = is_dry_run(settings, policy)
        targets = list(build_target_directory(settings, cloud, policy).targets())
        ports_for = target_ports_factory(settings, cloud, policy)
        savings = build_savings(settings)(at)
    except CostwardenError as exc:
        raise _fail(str(exc)) from None
    clock = ScheduleClock(policy.schedules)
    runs = [_TargetRun(target) for target in targets]
    for run in _progress(runs, "applying" if apply_actions else "planning"):
        try:
            ports = ports_for(run.target)
            run.plan = plan_target(
                policy=policy,
                clock=clock,
                resources=ports.inventory.list_resources(),
                metrics=ports.metrics,
                savings=savings,
                at=at,
                dry_run=dry_run,
                cloud=cloud,
            )
            if apply_actions:
                # Never stamp a last action before the instant planned for: the manual-start
                # rule compares it with the schedule's transitions (as run_target does).
                now = max(datetime.now(UTC), at)
                run.outcomes = apply_plan(run.plan, actuator=ports.actuator, now=now)
        except CostwardenError as exc:
            # One unreadable account must not hide the plan of the others.
            run.error = str(exc)
    return _Run(cloud, at, dry_run, apply_actions, runs)


def _progress(runs: list[_TargetRun], verb: str) -> Sequence[_TargetRun]:
    from rich.progress import track

    # On stderr and transient: stdout stays the report (and clean when piped).
    return list(
        track(
            runs,
            description=f"{verb} {len(runs)} targets",
            console=_console(err=True),
            transient=True,
        )
    )


# -- reporting ----------------------------------------------------------------------------------
def _console(*, err: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=err, highlight=False, soft_wrap=False)


def _money(action: PlannedAction) -> str:
    saving = action.estimated_monthly_saving
    if saving is None:
        return ""
    text = f"{saving.quantize(Decimal('0.01')):,} {action.currency}"
    return f"~{text}" if action.saving_basis == "price_table" else text


def _report(run: _Run, *, show_skipped: bool) -> None:
    from rich.table import Table

    console = _console()
    actions = [a for p in run.plans for a in p.actions]
    if actions:
        console.print(_actions_table(run))
    console.print(_summary(run, actions))
    skipped = [s for p in run.plans for s in p.skipped]
    if skipped:
        counts = Counter(s.kind for s in skipped)
        console.print("skipped: " + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())))
    if show_skipped and skipped:
        skips = Table("kind", "resource", "reason")
        for skip in skipped:
            skips.add_row(skip.kind, skip.resource.key, skip.reason)
        console.print(skips)
    for action in (a for p in run.plans for a in p.upcoming):
        console.print(f"upcoming: {action.action} {action.resource.key}: {action.reason}")
    for line in run.blocked:
        console.print(f"BLOCKED {line}")
    for line in run.errors:
        console.print(f"FAILED {line}")


def _actions_table(run: _Run) -> Any:
    from rich.table import Table

    outcome_of = {id(o.action): o for o in run.outcomes}
    verb = "apply" if run.applied else "plan"
    table = Table(title=f"{run.cloud} {verb} at {run.at.isoformat()}", title_justify="left")
    for column in ("target", "action", "resource", "type", "reason", "saving/month"):
        table.add_column(column, justify="right" if column == "saving/month" else "left")
    if run.applied:
        table.add_column("outcome")
    for target_run in run.targets:
        for action in target_run.plan.actions if target_run.plan else ():
            r = action.resource
            named = r.name and r.name != r.resource_id
            row = [
                target_run.target.label,
                action.action,
                f"{r.name} ({r.resource_id})" if named else r.resource_id,
                r.resource_type,
                action.reason,
                _money(action),
            ]
            if run.applied:
                row.append(_outcome_text(outcome_of.get(id(action))))
            table.add_row(*row)
    return table


def _summary(run: _Run, actions: list[PlannedAction]) -> str:
    targets = f"{len(run.plans)} target{'' if len(run.plans) == 1 else 's'}"
    if not actions:
        text = f"no actions in {targets} at {run.at.isoformat()}"
    else:
        totals: dict[str, Decimal] = {}
        for action in actions:
            if action.estimated_monthly_saving is not None:
                totals[action.currency] = (
                    totals.get(action.currency, Decimal(0)) + action.estimated_monthly_saving
                )
        saving = " + ".join(f"{v.quantize(Decimal('0.01')):,} {c}" for c, v in totals.items())
        plural = "" if len(actions) == 1 else "s"
        text = f"{len(actions)} action{plural} in {targets}"
        if saving:
            text += f"; estimated saving {saving} a month"
    return text + (" (dry run: nothing is applied)" if run.dry_run else "")


def _outcome_text(outcome: Outcome | None) -> str:
    if outcome is None:
        return ""
    return f"{outcome.status}: {outcome.message}" if outcome.message else outcome.status


def _write(run: _Run, output: Path | None) -> None:
    if output is None:
        return
    from costwarden.plan.model import Plan

    plans = run.plans
    merged = Plan(
        cloud=run.cloud,
        at=run.at,
        actions=tuple(a for p in plans for a in p.actions),
        skipped=tuple(s for p in plans for s in p.skipped),
        fleet_size=sum(p.fleet_size for p in plans),
        blocked="; ".join(run.blocked) or None,
        dry_run=run.dry_run,
        upcoming=tuple(a for p in plans for a in p.upcoming),
    )
    document: dict[str, object] = merged.to_dict()
    document["targets"] = [
        {
            "target": t.target.label,
            "fleet_size": None if t.plan is None else t.plan.fleet_size,
            "blocked": None if t.plan is None else t.plan.blocked,
            "error": t.error,
        }
        for t in run.targets
    ]
    if run.applied:
        # apply: each action with its outcome (``status``, ``message``), in plan order.
        document["actions"] = [o.to_dict() for o in run.outcomes]
    try:
        output.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise _fail(f"cannot write {output}: {exc.strerror or exc}") from None
