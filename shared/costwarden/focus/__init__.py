"""Billing exports -> FOCUS 1.2 Cost and Usage data.

The pieces, in the order a conversion uses them:

``schema``     the FOCUS 1.2 columns, their types and allowed values (pure data, no DuckDB)
``sources``    reading raw export files into the DuckDB relation ``src`` (every column VARCHAR)
``mappings``   one SQL ``SELECT`` per source over ``src`` (``mappings/<source>.sql``)
``engine``     running a mapping with DuckDB, transpiling it for Trino, BigQuery or Spark
``checks``     row-level checks of a FOCUS relation (enums, nulls, types, currency, tags)
``convert``    read -> map -> check -> reconcile -> write Parquet, atomically per period

Importing this package loads no DuckDB: the errors below are plain classes, so callers can catch
them without paying for the engine.
"""

from __future__ import annotations

from costwarden.errors import CostwardenError


class FocusInputError(CostwardenError):
    """An input file cannot be used: unknown format, unreadable, or missing a required column.

    The message names the file and the problem, e.g. ``cur.csv: missing column
    lineItem/UnblendedCost``.
    """


class FocusNoRowsError(FocusInputError):
    """The input files are readable but hold no rows (a header-only export).

    ``convert`` refuses them: on the command line, converting nothing is a mistake worth
    saying. The export-arrival service publishes an empty period instead, because a header-only
    file is what Azure writes for a scope without charges, and that is not a failure to retry.
    """


class FocusOutputConflictError(FocusInputError):
    """Publishing would replace a period that holds billing accounts the input does not have.

    Periods are keyed by provider and month only, so converting a second payer account's export
    into the same output would delete the first one's rows. ``convert(..., replace=True)`` (the
    CLI's ``--replace``) replaces the period anyway.
    """


class FocusConversionError(CostwardenError):
    """Converted rows failed the row-level checks; nothing was written or replaced.

    ``report`` (a ``checks.CheckReport``) holds the failing count and sample rows per rule.
    """

    def __init__(self, message: str, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report


class FocusReconciliationError(FocusConversionError):
    """SUM(BilledCost) of a billing period differs from the source's invoice-basis total."""


__all__ = [
    "FocusConversionError",
    "FocusInputError",
    "FocusNoRowsError",
    "FocusOutputConflictError",
    "FocusReconciliationError",
]
