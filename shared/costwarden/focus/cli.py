"""``costwarden focus ...``: convert billing exports, validate FOCUS data, print mapping SQL.

Registered in the main command as ``app.add_typer(focus_app, name="focus")``. Exit statuses:
0 success; 1 ``validate`` found rule errors (or warnings with ``--strict``); 2 bad input (an
unreadable or unknown file, a missing column, a conversion the checks or the reconciliation
refused), reported as one ``error:`` line, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from costwarden.errors import CostwardenError

focus_app = typer.Typer(
    help="Billing exports as FOCUS 1.2: convert, validate, and the mappings as SQL.",
    no_args_is_help=True,
)

SOURCE_HELP = "aws-cur2, aws-cur-legacy, aws-focus, azure-cost, azure-focus or gcp-billing"


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


@focus_app.command("convert")
def convert_command(
    inputs: Annotated[
        list[Path], typer.Argument(help="raw export files (CSV, gzip CSV, Parquet, NDJSON)")
    ],
    *,
    source: Annotated[str, typer.Option("--from", help=f"the export's kind: {SOURCE_HELP}")],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="a folder (partitioned by provider and period) or a .parquet file",
        ),
    ],
    memory_limit: Annotated[
        str | None, typer.Option(help="DuckDB memory limit, e.g. 1GB (spills to disk beyond)")
    ] = None,
    temp_directory: Annotated[
        Path | None, typer.Option(help="where DuckDB spills (default: a fresh temporary folder)")
    ] = None,
    threads: Annotated[int | None, typer.Option(help="DuckDB threads (default: all cores)")] = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="replace a period even when it holds billing accounts the input does not have "
            "(by default that is refused: their rows would be deleted)",
        ),
    ] = False,
) -> None:
    """Convert billing export files to FOCUS 1.2 Parquet, replacing the periods they cover."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from costwarden.focus.convert import STAGES, ProgressEvent, convert
    from costwarden.focus.sources import SOURCE_KINDS

    if source not in SOURCE_KINDS:
        raise _fail(f"--from {source!r}: choose one of {', '.join(SOURCE_KINDS)}")
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description:<60}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,  # a log or a pipe gets the result lines only
    ) as bar:
        task = bar.add_task("starting", total=len(STAGES))

        def on_progress(event: ProgressEvent) -> None:
            bar.update(task, completed=event.step - 1, description=event.message)

        try:
            result = convert(
                source,
                inputs,
                output=output,
                progress=on_progress,
                memory_limit=memory_limit,
                temp_directory=temp_directory,
                threads=threads,
                replace=replace,
            )
        except CostwardenError as exc:
            bar.stop()
            raise _fail(str(exc)) from None
        except OSError as exc:
            bar.stop()
            where = exc.filename if exc.filename is not None else output
            raise _fail(f"{where}: {exc.strerror or exc}") from None
        bar.update(task, completed=len(STAGES))
    for period in result.periods:
        typer.echo(
            f"{period.provider} {period.billing_period}: {period.rows} rows, "
            f"BilledCost {period.billed_cost:f} (source {period.source_total:f}) -> "
            + ", ".join(str(f) for f in period.files)
        )
    warnings = result.checks.warnings
    if warnings:
        typer.echo(
            f"{len(warnings)} FOCUS rule(s) not met (warnings, nothing refused); run "
            f"`costwarden focus validate {output} --from {source}` for details",
            err=True,
        )


@focus_app.command("validate")
def validate_command(
    path: Annotated[Path, typer.Argument(help="FOCUS data: a Parquet or CSV file, or a folder")],
    strict: Annotated[bool, typer.Option(help="fail on warnings too")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    source: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="judge it as converted from this source, as `convert` did (a provider's own "
            "FOCUS export keeps its service classification as a warning)",
        ),
    ] = None,
) -> None:
    """Check every row of FOCUS data: enums, nulls, types, currency, periods, Tags."""
    from costwarden.focus.checks import check_path
    from costwarden.focus.source_specs import source_spec

    try:
        warn_only = source_spec(source).warn_only if source else ()
        report = check_path(path, warn_only=warn_only)
    except CostwardenError as exc:
        raise _fail(str(exc)) from None
    failing = report.errors if not strict else report.failures
    if as_json:
        typer.echo(json.dumps(_report_json(report), indent=2, default=str))
    else:
        _print_report(report)
    if failing or report.problems:
        raise typer.Exit(1)


def _report_json(report: object) -> dict[str, object]:
    from costwarden.focus.checks import CheckReport

    assert isinstance(report, CheckReport)
    return {
        "rows": report.rows,
        "ok": report.ok,
        "problems": list(report.problems),
        "failures": [
            {
                "rule": r.rule.id,
                "severity": r.rule.severity,
                "description": r.rule.description,
                "failing_rows": r.failing,
                "samples": list(r.samples),
            }
            for r in report.failures
        ],
        "rules_checked": len(report.results),
        "rules_skipped": list(report.skipped),
    }


def _print_report(report: object) -> None:
    from rich.console import Console
    from rich.table import Table

    from costwarden.focus.checks import CheckReport

    assert isinstance(report, CheckReport)
    console = Console()
    for problem in report.problems:
        console.print(f"[red]error[/red] {problem}", highlight=False)
    if report.failures:
        table = Table(title=f"FOCUS checks: {report.rows} rows", title_justify="left")
        table.add_column("rule")
        table.add_column("severity")
        table.add_column("failing rows", justify="right")
        table.add_column("example")
        for result in report.failures:
            example = json.dumps(result.samples[0], default=str) if result.samples else ""
            table.add_row(result.rule.id, result.rule.severity, str(result.failing), example)
        console.print(table)
    verdict = "passes" if report.ok else "fails"
    console.print(
        f"{report.rows} rows, {len(report.results)} rules: {verdict} "
        f"({len(report.errors)} errors, {len(report.warnings)} warnings, "
        f"{len(report.problems)} dataset problems)",
        highlight=False,
    )


@focus_app.command("sql")
def sql_command(
    source: Annotated[str, typer.Option("--from", help=f"the export's kind: {SOURCE_HELP}")],
    dialect: Annotated[
        str, typer.Option(help="duckdb, trino (Athena), bigquery or spark")
    ] = "duckdb",
) -> None:
    """Print the mapping of a source as SQL for DuckDB, Trino/Athena, BigQuery or Spark."""
    from costwarden.focus.engine import DIALECTS, mapping_sql
    from costwarden.focus.mappings import available_sources

    if dialect not in DIALECTS:
        raise _fail(f"--dialect {dialect!r}: choose one of {', '.join(DIALECTS)}")
    if source not in available_sources():
        raise _fail(f"--from {source!r}: choose one of {', '.join(available_sources())}")
    try:
        typer.echo(mapping_sql(source, dialect), nl=False)
    except CostwardenError as exc:
        raise _fail(str(exc)) from None
