"""``costwarden check-plan``: the tag policy applied to a Terraform plan, before deploy.

Exit status: 0 no violations, 1 violations, 2 unreadable plan or policy (CI steps rely on it:
docs/tagging.md has the GitHub Actions and GitLab CI snippets).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer

from costwarden.errors import CostwardenError, PolicyError


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
    from costwarden.tagging.terraform_plan import check_plan, read_plan

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
    violating = [f for f in findings if not f.unknown]
    unknown = [f for f in findings if f.unknown]
    if output == "json":
        typer.echo(
            json.dumps(
                {
                    "checked": len(resources),
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
        typer.echo(
            f"{len(resources)} resources checked: {len(violating)} violate the tag policy "
            f"({problems} problems), {len(unknown)} could not be checked",
            err=True,
        )
    raise typer.Exit(1 if violating else 0)
