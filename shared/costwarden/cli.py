"""The ``costwarden`` command: local tools for the same core the cloud functions run.

Every user-caused failure exits with status 2 and one short ``error:`` line on stderr (``policy
validate`` prints one ``file:line: field: message`` line per problem instead, like a linter, and
a mistyped option gets typer's usage message); a traceback means a bug.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Literal

import typer

from costwarden.cli_package import package_command
from costwarden.cli_schedule import register as register_schedule_commands
from costwarden.cli_tags import register_tags
from costwarden.errors import CostwardenError, PolicyError
from costwarden.focus.cli import focus_app

app = typer.Typer(
    help="costwarden: FinOps automation for AWS, Azure and Google Cloud.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
budget_app = typer.Typer(help="Budget notifications.", no_args_is_help=True)
policy_app = typer.Typer(help="The policy file.", no_args_is_help=True)
app.add_typer(budget_app, name="budget")
app.add_typer(policy_app, name="policy")
app.add_typer(focus_app, name="focus")
register_schedule_commands(app)  # plan, apply
app.command("package")(package_command)
register_tags(app)  # check-plan, tags plan/apply/audit

ProviderOption = Literal["aws", "azure", "gcp"]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


@budget_app.command("parse")
def budget_parse(
    file: Annotated[Path, typer.Argument(help="raw trigger payload as the function receives it")],
    provider: Annotated[
        ProviderOption | None, typer.Option(help="force the provider instead of detecting it")
    ] = None,
) -> None:
    """Print the normalized BudgetAlert of a raw budget notification as JSON (one per line)."""
    from costwarden.normalize.budget import parse_budget_event_text

    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise _fail(f"cannot read {file}: {exc.strerror}") from None
    try:
        alerts = parse_budget_event_text(raw, provider=provider)
    except CostwardenError as exc:
        raise _fail(f"{file}: {exc}") from None
    for alert in alerts:
        typer.echo(json.dumps(alert.model_dump(mode="json", exclude={"dedup_key"})))


@policy_app.command("validate")
def policy_validate(
    file: Annotated[Path, typer.Argument(help="policy YAML file")],
) -> None:
    """Check a policy file; print every problem as file:line: field: message."""
    from costwarden.policy import load_policy

    try:
        policy = load_policy(file)
    except PolicyError as exc:
        for problem in exc.problems:
            typer.echo(problem, err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"{file}: valid (version {policy.version}, {len(policy.teams)} teams, "
        f"{len(policy.budgets.routes)} budget routes)"
    )


@app.command("demo")
def demo(
    events: Annotated[
        Path | None, typer.Option(help="sample events folder (default: the checkout's events/)")
    ] = None,
    workdir: Annotated[Path, typer.Option(help="where state and the preview go")] = Path(
        ".costwarden"
    ),
    keep_state: Annotated[
        bool, typer.Option(help="keep earlier runs' state (then nothing new posts)")
    ] = False,
) -> None:
    """Run the budget-alert flow of all three clouds locally: no cloud account needed.

    Each cloud's real function handler receives the sample events; Slack is a local capture
    speaking the Web API; state is a local SQLite file. Then every event is delivered again to
    show that redelivery posts nothing new.
    """
    from costwarden.local.demo import run_demo

    # A mistyped --events would otherwise deliver nothing and still "succeed".
    if events is not None and not events.is_dir():
        raise _fail(f"{events}: not a folder of sample events")
    try:
        run_demo(events_dir=events, workdir=workdir, keep_state=keep_state)
    except CostwardenError as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:  # e.g. --workdir names a file, or a folder we may not write to
        where = exc.filename if exc.filename is not None else workdir
        raise _fail(f"{where}: {exc.strerror or exc}") from None


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.exit(130)
