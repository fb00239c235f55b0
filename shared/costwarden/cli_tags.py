"""``costwarden check-plan`` (the tag policy applied to a Terraform plan, before deploy) and
``costwarden tags plan|apply|audit`` (the same policy on the deployed estate). With
``tagging.grace.action: stop``, ``tags apply`` also stops the overdue resources (``tags plan``
shows them as a dry run).

check-plan exits 0 with no violations, 1 with violations, 2 on an unreadable plan or policy (CI
steps rely on it: docs/tagging.md has the GitHub Actions and GitLab CI snippets). tags plan and
apply print one line per tag write, exit 1 when a write failed; tags audit prints compliance by
resource count and, given FOCUS data, by cost.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from costwarden.errors import CostwardenError, PolicyError

if TYPE_CHECKING:
    from costwarden.bootstrap_tagging import TagWorker


def check_plan_command(
    plan: Annotated[Path, typer.Argument(help="output of 'terraform show -json PLANFILE'")],
    policy: Annotated[Path, typer.Option("--policy", help="policy YAML with a tagging section")],
    output: Annotated[
        Literal["text", "json", "github"],
        typer.Option("--format", help="text, json, or GitHub Actions annotations"),
    ] = "text",
) -> None:
    """Check the tags of every resource a Terraform plan creates or updates."""
    from costwarden.policy import load_policy
    from costwarden.tagging.terraform_plan import check_plan, in_scope, read_plan

    try:
        loaded = load_policy(policy)
    except PolicyError as exc:
        for problem in exc.problems:
            typer.echo(problem, err=True)
        raise typer.Exit(2) from None
    if loaded.tagging is None:
        typer.echo(f"error: {policy}: the policy has no tagging section", err=True)
        raise typer.Exit(2)
    try:
        resources = read_plan(plan)
    except CostwardenError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    findings = check_plan(resources, loaded.tagging)
    checked = len(in_scope(resources, loaded.tagging))  # other types are not checked
    violating = [f for f in findings if not f.unknown]
    unknown = [f for f in findings if f.unknown]
    if output == "json":
        typer.echo(
            json.dumps(
                {
                    "checked": checked,
                    "out_of_scope": len(resources) - checked,
                    "violations": [
                        {
                            "address": f.resource.address,
                            "type": f.resource.resource_type,
                            "cloud": f.resource.cloud,
                            "problems": [
                                {"key": v.key, "status": v.status, "message": v.describe()}
                                for v in f.findings
                            ],
                        }
                        for f in violating
                    ],
                    "unknown": [f.resource.address for f in unknown],
                },
                indent=2,
            )
        )
    else:
        for finding in violating:
            for v in finding.findings:
                if output == "github":
                    typer.echo(
                        f"::error title=tag policy::{finding.resource.address}: {v.describe()}"
                    )
                else:
                    typer.echo(f"{finding.resource.address}: {v.describe()}")
        for finding in unknown:
            typer.echo(
                f"{finding.resource.address}: tags are only known after apply; not checked",
                err=True,
            )
        problems = sum(len(f.findings) for f in violating)
        outside = len(resources) - checked
        typer.echo(
            f"{checked} resources checked: {len(violating)} violate the tag policy "
            f"({problems} problems), {len(unknown)} could not be checked"
            + (f"; {outside} outside the policy's clouds and types" if outside else ""),
            err=True,
        )
    raise typer.Exit(1 if violating else 0)


# -- costwarden tags plan / apply / audit -------------------------------------------------------

Cloud = Literal["aws", "azure", "gcp"]


def register_tags(app: typer.Typer) -> None:
    tags_app = typer.Typer(help="Tag compliance and remediation.", no_args_is_help=True)
    tags_app.command("plan")(tags_plan)
    tags_app.command("apply")(tags_apply)
    tags_app.command("audit")(tags_audit)
    app.add_typer(tags_app, name="tags")
    app.command("check-plan")(check_plan_command)


PolicyOption = Annotated[Path, typer.Option("--policy", help="policy YAML with a tagging section")]
CloudOption = Annotated[Cloud, typer.Option("--cloud", help="aws, azure or gcp")]


def tags_plan(
    policy: PolicyOption,
    cloud: CloudOption,
    output: Annotated[Path | None, typer.Option(help="write the plan as JSON")] = None,
) -> None:
    """Show the tag writes and marks a sweep would make, in every target; change nothing."""
    _tags_run(policy, cloud, output=output, apply_changes=False)


def tags_apply(
    policy: PolicyOption,
    cloud: CloudOption,
    output: Annotated[Path | None, typer.Option(help="write plan and outcomes as JSON")] = None,
) -> None:
    """Sweep every target: write inferred tags and marks (unless dry run is configured)."""
    _tags_run(policy, cloud, output=output, apply_changes=True)


def tags_audit(
    policy: PolicyOption,
    cloud: CloudOption,
    cost_data: Annotated[
        list[Path] | None,
        typer.Option("--cost-data", help="FOCUS Parquet/CSV files: adds compliance by cost"),
    ] = None,
    days: Annotated[int, typer.Option(min=1, max=365, help="cost window, days to now")] = 30,
) -> None:
    """Compliance by resource count and, with FOCUS cost data, by cost (the share of spend
    that cannot be allocated because its resources miss required tags)."""
    from datetime import UTC, datetime, timedelta

    from rich.console import Console
    from rich.table import Table

    worker = _worker(policy, cloud)
    remediator = worker.remediator
    rules = remediator.rules
    table = Table("target", "resources", "compliant", "fixable", "need a person", "compliant %")
    violating_ids: dict[str, str] = {}
    listed_ids: set[str] = set()
    totals = [0, 0, 0, 0]
    for target in worker.targets():
        counts = [0, 0, 0, 0]
        try:
            inventory = worker.ports(target).inventory
            for resource in inventory.list_resources():
                if not rules.applies_to(resource.resource_type, resource.account):
                    continue
                counts[0] += 1
                listed_ids.add(_cost_key(resource.resource_id))
                if not rules.violations(resource.tags):
                    counts[1] += 1
                # what the sweep fixes itself (aliases, parents, defaults) is not a person's job
                elif not remediator.assess(resource, inventory).unresolved:
                    counts[2] += 1
                else:
                    counts[3] += 1
                    violating_ids[_cost_key(resource.resource_id)] = resource.resource_id
        except CostwardenError as exc:
            typer.echo(f"error: {target.label}: {exc}", err=True)
            raise typer.Exit(2) from None
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        table.add_row(target.label, *map(str, counts), _percent(counts[1], counts[0]))
    table.add_row("total", *map(str, totals), _percent(totals[1], totals[0]), style="bold")
    console = Console()
    console.print(table)
    if cost_data:
        from costwarden.adapters.focus.resource_costs import FocusResourceCosts

        end = datetime.now(UTC)
        try:
            costs = FocusResourceCosts([str(p) for p in cost_data]).resource_costs(
                provider=cloud, start=end - timedelta(days=days), end=end
            )
        except CostwardenError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        total = sum((c.cost for c in costs), Decimal(0))
        bad = sum((c.cost for c in costs if _cost_key(c.resource_id) in violating_ids), Decimal(0))
        unlisted = sum(
            (c.cost for c in costs if _cost_key(c.resource_id) not in listed_ids), Decimal(0)
        )
        currency = costs[0].currency if costs else "USD"
        console.print(
            f"Last {days} days: {currency} {total:,.2f} of resource costs; "
            f"{currency} {bad:,.2f} ({_percent_of(bad, total)}) on resources missing required "
            f"tags that costwarden cannot infer; {currency} {unlisted:,.2f} on resources not "
            "listed here (other types, deleted since, or outside the policy's scope)."
        )


def _cost_key(resource_id: str) -> str:
    """How a listed resource and a FOCUS ResourceId are matched: AWS CUR names EC2 resources
    by id, S3 buckets by bare name and others by ARN; Azure ids differ in case; Google billing
    by full resource name (``//compute.googleapis.com/projects/...``) where the inventory has
    the relative one (``projects/...``)."""
    text = resource_id.strip().lower()
    if (arn := _AWS_ARN.match(text)) is not None:
        if arn["service"] == "ec2":
            return text.rsplit("/", 1)[-1]
        if arn["service"] == "s3" and "/" not in arn["rest"]:
            return arn["rest"]  # arn:aws:s3:::bucket -> bucket (not an object ARN)
        return text
    return _GOOGLE_SERVICE.sub("", text)


_AWS_ARN = re.compile(r"arn:aws[a-z-]*:(?P<service>[a-z0-9-]+):[^:]*:[^:]*:(?P<rest>.+)")
_GOOGLE_SERVICE = re.compile(r"^//[a-z0-9.-]+\.googleapis\.com/")


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}" if whole else "-"


def _percent_of(part: Decimal, whole: Decimal) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "-"


def _worker(policy: Path, cloud: Cloud) -> TagWorker:
    from costwarden.bootstrap_tagging import tag_worker_from_settings
    from costwarden.policy import load_policy
    from costwarden.settings import load_settings

    try:
        load_policy(policy)  # every problem as file:line before anything else
    except PolicyError as exc:
        for problem in exc.problems:
            typer.echo(problem, err=True)
        raise typer.Exit(2) from None
    try:
        settings = load_settings().model_copy(update={"policy_path": policy})
        return tag_worker_from_settings(settings, cloud, with_notifier=False)
    except CostwardenError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _tags_run(policy: Path, cloud: Cloud, *, output: Path | None, apply_changes: bool) -> None:
    import dataclasses
    import uuid
    from datetime import UTC, datetime

    from costwarden.services.tag_plan import tag_plan_dict

    worker = _worker(policy, cloud)
    if not apply_changes:
        worker = dataclasses.replace(worker, dry_run=True)
    now = datetime.now(UTC)
    try:
        runs = worker.sweep(now=now, run_id=f"cli-{uuid.uuid4().hex[:8]}", owner="cli")
    except CostwardenError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    document = tag_plan_dict(
        [(r.target, r.report) for r in runs], cloud=cloud, at=now, dry_run=worker.dry_run
    )
    actions: list[dict[str, str]] = document["actions"]  # type: ignore[assignment]
    skipped: list[dict[str, str]] = document["skipped"]  # type: ignore[assignment]
    failed = 0
    for action in actions:
        status = action.get("status", "planned")
        failed += status == "failed"
        typer.echo(
            f"{status:>11}  {action['account']}  {action['resource_id']}  {action['reason']}"
        )
    for skip in skipped:
        typer.echo(
            f"{'unresolved':>11}  {skip['account']}  {skip['resource_id']}  {skip['reason']}"
        )
    stops = sum(1 for action in actions if action["action"] != "tag")
    typer.echo(
        f"{len(actions) - stops} tag writes, {len(skipped)} resources need a person"
        + (f", {stops} overdue resources to stop (tagging.grace)" if stops else "")
        + (" (dry run: nothing written)" if worker.dry_run else ""),
        err=True,
    )
    if document["blocked"]:
        typer.echo(f"blocked: {document['blocked']}", err=True)
    if output is not None:
        output.write_text(json.dumps(document, indent=2) + "\n")
    raise typer.Exit(1 if failed else 0)
