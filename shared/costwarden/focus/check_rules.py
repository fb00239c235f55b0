"""The rules ``checks`` runs: one per FOCUS 1.2 requirement a single row (or value) can break.

Each rule is SQL over one relation of FOCUS columns (``failing_sql`` TRUE for a bad row) or a
judgement of distinct value combinations (``accepts``). ``build_rules`` returns the rules the
relation's columns allow, and the ids of those it skips because a column is absent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from costwarden.focus.schema import (
    ALLOWED_VALUES,
    COLUMNS_BY_NAME,
    ISO_4217_CODES,
    NOT_NULL_COLUMNS,
    SERVICE_SUBCATEGORIES,
)
from costwarden.focus.sql_names import quote

Severity = Literal["error", "warning"]
# add(rule_id, severity, description, columns, failing_sql) and value(column) in build_rules
_Add = Callable[[str, Severity, str, Sequence[str], str], None]
_Value = Callable[[str], str]

# FOCUS Unit Format: a data size, a time unit or a count word, alone, "<unit>-<Times>",
# "<unit>/<Time>", "<n> <unit>" or "<unit>/<n> <Times>" (the specification's attribute).
_SIZE = "(b|Kb|Mb|Gb|Tb|Pb|Eb|B|KB|MB|GB|TB|PB|EB|Kib|Mib|Gib|Tib|Pib|Eib|KiB|MiB|GiB|TiB|PiB|EiB)"
_TIME1 = "(Year|Month|Day|Hour|Minute|Second)"
_TIMES = "(Years|Months|Days|Hours|Minutes|Seconds)"
_WORD = "([A-Za-z][A-Za-z0-9]*( [A-Za-z][A-Za-z0-9]*)*)"
_ANY = f"({_SIZE}|{_TIME1}|{_TIMES}|{_WORD})"
_UNIT_FORMAT = (
    f"^({_ANY}|({_SIZE}|{_WORD})-{_TIMES}|({_SIZE}|{_WORD}|{_TIMES})/{_TIME1}|[0-9]+ {_ANY}"
    f"|({_SIZE}|{_WORD}|{_TIMES})/[0-9]+ {_TIMES})$"
)
_DATETIME_FORMAT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$"
# Relative tolerance of price x quantity = cost (the validator's; decimals make it rarely hit).
_TOLERANCE = "0.000000001"


@dataclass(frozen=True)
class Rule:
    """One check, of one of two kinds.

    Row rule: ``failing_sql`` is TRUE for a row that breaks it (NULL counts as passing).
    Value rule: ``accepts`` judges one combination of the values of ``columns`` (e.g. a
    ServiceSubcategory with its ServiceCategory); the data is grouped by those columns once and
    every combination it rejects counts its rows. Enum and currency checks are value rules:
    testing a few distinct values beats testing 180 currency codes on every row.

    ``one_per_key``: a value rule judged over all the combinations at once: ``columns`` is
    (key, value) and a key with more than one distinct non-null value fails, with every row of
    it (FOCUS: one ServiceCategory per ServiceName, one SkuId per SkuPriceId). Null keys pass.

    ``per_value``: a row rule whose SQL depends only on the values of ``columns`` and is costly
    per row (JSON parsing, regular expressions): it is evaluated once per distinct value
    (grouped first, counts summed). Tags parsed per row took 0.65 s per 1M rows; per distinct
    value 0.01 s, since exports repeat a resource's tags on every one of its line items.
    """

    id: str
    severity: Severity
    description: str
    columns: tuple[str, ...]
    failing_sql: str = ""
    accepts: Callable[[tuple[object, ...]], bool] | None = None
    per_value: bool = False
    one_per_key: bool = False

    @property
    def judges_values(self) -> bool:
        """Judged on the distinct combinations of ``columns`` rather than row by row."""
        return self.accepts is not None or self.one_per_key


class _Columns:
    """Typed access to the relation's columns: a text column is cast where a number is needed."""

    def __init__(self, types: dict[str, str]) -> None:
        self.types = types

    def has(self, *names: str) -> bool:
        return all(n in self.types for n in names)

    def is_text(self, name: str) -> bool:
        return self.types.get(name, "").upper() == "VARCHAR"

    def value(self, name: str) -> str:
        """The column as its FOCUS type (TRY_CAST from text)."""
        column = COLUMNS_BY_NAME.get(name)
        if column is None or column.data_type in ("String", "KeyValue") or not self.is_text(name):
            return quote(name)
        if column.data_type == "Decimal":
            return f"TRY_CAST({quote(name)} AS DECIMAL(38, 10))"
        text = f"REPLACE(REPLACE({quote(name)}, 'T', ' '), 'Z', '')"
        return f"TRY_CAST({text} || '+00:00' AS TIMESTAMPTZ)"


def build_rules(types: dict[str, str]) -> tuple[list[Rule], list[str]]:
    """Every rule applicable to a relation with these columns -> (rules, skipped rule ids)."""
    cols = _Columns(types)
    v = cols.value
    rules: list[Rule] = []
    skipped: list[str] = []

    def add(
        rule_id: str,
        severity: Severity,
        description: str,
        columns: Sequence[str],
        sql: str,
        *,
        per_value: bool = False,
    ) -> None:
        if cols.has(*columns):
            rules.append(
                Rule(rule_id, severity, description, tuple(columns), sql, per_value=per_value)
            )
        else:
            skipped.append(rule_id)

    def add_values(
        rule_id: str,
        description: str,
        columns: Sequence[str],
        accepts: Callable[[tuple[object, ...]], bool],
    ) -> None:
        if cols.has(*columns):
            rules.append(Rule(rule_id, "error", description, tuple(columns), accepts=accepts))
        else:
            skipped.append(rule_id)

    def add_one_per_key(
        rule_id: str, severity: Severity, description: str, key: str, value: str
    ) -> None:
        if cols.has(key, value):
            rules.append(Rule(rule_id, severity, description, (key, value), one_per_key=True))
        else:
            skipped.append(rule_id)

    for name in NOT_NULL_COLUMNS:
        add(
            f"{name}.not-null",
            "error",
            f"{name} must not be null",
            [name],
            f"{quote(name)} IS NULL",
        )
    for name in ("BillingAccountName", "ChargeDescription"):
        add(
            f"{name}.not-null",
            "warning",
            f"{name} should not be null",
            [name],
            f"{quote(name)} IS NULL",
        )
    for name, column in COLUMNS_BY_NAME.items():
        if name in types and cols.is_text(name) and column.data_type in ("Decimal", "DateTime"):
            add(
                f"{name}.type",
                "error",
                f"{name} must be a {column.data_type}",
                [name],
                f"{quote(name)} IS NOT NULL AND {v(name)} IS NULL",
            )
            if column.data_type == "DateTime":
                add(
                    f"{name}.datetime-format",
                    "error",
                    f"{name} must be written YYYY-MM-DDTHH:mm:ssZ",
                    [name],
                    f"NOT regexp_matches({quote(name)}, '{_DATETIME_FORMAT}')",
                )
    for name, allowed in ALLOWED_VALUES.items():
        add_values(
            f"{name}.allowed-values",
            f"{name} must be one of the allowed values",
            [name],
            _one_of(frozenset(allowed)),
        )
    add_values(
        "ServiceSubcategory.parent-category",
        "ServiceSubcategory must belong to its ServiceCategory",
        ["ServiceSubcategory", "ServiceCategory"],
        _parent_matches,
    )
    add_values(
        "BillingCurrency.iso-4217",
        "BillingCurrency must be an ISO 4217 code",
        ["BillingCurrency"],
        _one_of(ISO_4217_CODES),
    )
    # The validator checks these per dataset (ServiceName-C-005-C, -C-008-C, SkuPriceId-C-008-M);
    # a mapping that classifies by anything but the service itself breaks them on real data.
    add_one_per_key(
        "ServiceName.one-category",
        "error",
        "a ServiceName must have exactly one ServiceCategory",
        "ServiceName",
        "ServiceCategory",
    )
    add_one_per_key(
        "ServiceName.one-subcategory",
        "warning",
        "a ServiceName should have exactly one ServiceSubcategory",
        "ServiceName",
        "ServiceSubcategory",
    )
    add_one_per_key(
        "SkuPriceId.one-sku",
        "error",
        "a SkuPriceId must have exactly one SkuId",
        "SkuPriceId",
        "SkuId",
    )
    add(
        "ChargePeriod.start-before-end",
        "error",
        "ChargePeriodStart must be before ChargePeriodEnd",
        ["ChargePeriodStart", "ChargePeriodEnd"],
        f"{v('ChargePeriodStart')} >= {v('ChargePeriodEnd')}",
    )
    add(
        "BillingPeriod.start-before-end",
        "error",
        "BillingPeriodStart must be before BillingPeriodEnd",
        ["BillingPeriodStart", "BillingPeriodEnd"],
        f"{v('BillingPeriodStart')} >= {v('BillingPeriodEnd')}",
    )
    add_values(
        "ChargeFrequency.purchase-not-usage-based",
        "ChargeFrequency must not be Usage-Based for a Purchase",
        ["ChargeFrequency", "ChargeCategory"],
        lambda v: v != ("Usage-Based", "Purchase"),
    )
    for name in ("Tags", "SkuPriceDetails"):
        add(
            f"{name}.flat-json-object",
            "error",
            f"{name} must be a JSON object with unique keys and no nested values",
            [name],
            _not_flat_object(quote(name)),
            per_value=True,
        )

    add(
        "ChargePeriod.within-billing-period",
        "warning",
        "a charge that is not a Correction starts within its billing period",
        ["ChargePeriodStart", "BillingPeriodStart", "BillingPeriodEnd", "ChargeClass"],
        f"\"ChargeClass\" IS DISTINCT FROM 'Correction' AND ({v('ChargePeriodStart')} < "
        f"{v('BillingPeriodStart')} OR {v('ChargePeriodStart')} >= {v('BillingPeriodEnd')})",
    )
    for name in ("PricingUnit", "ConsumedUnit", "CommitmentDiscountUnit"):
        add(
            f"{name}.unit-format",
            "warning",
            f"{name} follows the FOCUS unit format (GB-Months, Hours, Requests, ...)",
            [name],
            f"NOT regexp_full_match({quote(name)}, '{_UNIT_FORMAT}')",
            per_value=True,
        )
    if "x_CostDataset" in types:
        # Not a FOCUS rule, so never listed as skipped: azure-cost labels its rows "Mixed" when
        # actual and amortized cost details were fed in together, which counts every on-demand
        # row twice; a value rule, judged on the column's one or two distinct values.
        rules.append(
            Rule(
                "x_CostDataset.one-dataset",
                "error",
                "actual and amortized cost details must not be converted together (on-demand "
                "rows would count twice): convert each dataset on its own",
                ("x_CostDataset",),
                accepts=lambda values: values[0] != "Mixed",
            )
        )
    _pairs(add)
    _price_rules(add, v)
    return rules, skipped


def _one_of(allowed: frozenset[str]) -> Callable[[tuple[object, ...]], bool]:
    return lambda values: values[0] is None or values[0] in allowed


def _parent_matches(values: tuple[object, ...]) -> bool:
    subcategory, category = values
    parent = SERVICE_SUBCATEGORIES.get(str(subcategory))
    # An unknown subcategory is the allowed-values rule's finding, not this one's.
    return subcategory is None or category is None or parent is None or parent == category


def _not_flat_object(col: str) -> str:
    # CASE, not OR: DuckDB evaluates every operand of an OR, and json_extract raises on text
    # that is not JSON; a CASE branch runs only for the rows that reach it.
    # Each JSON function parses the text again, so the last branch parses it twice, not five
    # times: the member types come from one json_type call, and json_keys is called once and
    # bound with a one-element list and a lambda (0.28 s instead of 0.40 s per 1M Tags values).
    # Not a scalar subquery: DuckDB decorrelates that into a join, which doubled peak memory.
    return (
        f"CASE WHEN {col} IS NULL THEN false "
        f"WHEN NOT json_valid({col}) THEN true "
        f"WHEN json_type({col}) <> 'OBJECT' THEN true "
        f"ELSE list_transform([json_type({col}, '$.*')], "
        "lambda t: list_contains(t, 'OBJECT') OR list_contains(t, 'ARRAY'))[1] "
        f"OR list_transform([json_keys({col})], lambda k: len(k) <> list_unique(k))[1] END"
    )


def _pairs(add: _Add) -> None:
    """X must be null when Y is null and must not be null when Y is not (spec nullability)."""
    both_ways = {
        "SubAccountName": "SubAccountId",
        "SubAccountType": "SubAccountId",
        "BillingAccountType": "BillingAccountId",
        "RegionName": "RegionId",
        "ResourceType": "ResourceId",
        "PricingUnit": "PricingQuantity",
        "ConsumedUnit": "ConsumedQuantity",
        "CommitmentDiscountUnit": "CommitmentDiscountQuantity",
        "CommitmentDiscountCategory": "CommitmentDiscountId",
        "CommitmentDiscountType": "CommitmentDiscountId",
    }
    for dependent, anchor in both_ways.items():
        add(
            f"{dependent}.null-with-{anchor}",
            "warning",
            f"{dependent} is null exactly when {anchor} is null",
            [dependent, anchor],
            f"({quote(dependent)} IS NULL) <> ({quote(anchor)} IS NULL)",
        )
    only_with = {
        "CommitmentDiscountName": "CommitmentDiscountId",
        "CommitmentDiscountStatus": "CommitmentDiscountId",
        "ResourceName": "ResourceId",
        "SkuMeter": "SkuId",
        "SkuPriceDetails": "SkuPriceId",
        "CapacityReservationStatus": "CapacityReservationId",
    }
    for dependent, anchor in only_with.items():
        add(
            f"{dependent}.null-without-{anchor}",
            "warning",
            f"{dependent} is null when {anchor} is null",
            [dependent, anchor],
            f"{quote(anchor)} IS NULL AND {quote(dependent)} IS NOT NULL",
        )
    add(
        "CommitmentDiscountStatus.set-for-commitment-usage",
        "warning",
        "CommitmentDiscountStatus is set on Usage rows of a commitment discount",
        ["CommitmentDiscountStatus", "CommitmentDiscountId", "ChargeCategory"],
        '"ChargeCategory" = \'Usage\' AND "CommitmentDiscountId" IS NOT NULL '
        'AND "CommitmentDiscountStatus" IS NULL',
    )
    add(
        "ConsumedQuantity.usage-only",
        "warning",
        "ConsumedQuantity is null unless the row is Usage of something (not unused commitment)",
        ["ConsumedQuantity", "ChargeCategory", "ChargeClass", "CommitmentDiscountStatus"],
        '"ConsumedQuantity" IS NOT NULL AND "ChargeClass" IS DISTINCT FROM \'Correction\' AND '
        "(\"ChargeCategory\" <> 'Usage' "
        "OR \"CommitmentDiscountStatus\" IS NOT DISTINCT FROM 'Unused')",
    )


def _price_rules(add: _Add, v: _Value) -> None:
    priced = (
        "\"ChargeCategory\" IN ('Usage', 'Purchase') "
        "AND \"ChargeClass\" IS DISTINCT FROM 'Correction'"
    )
    for name in (
        "PricingQuantity",
        "ListUnitPrice",
        "ContractedUnitPrice",
        "SkuId",
        "SkuPriceId",
        "PricingCategory",
    ):
        add(
            f"{name}.set-for-usage-and-purchase",
            "warning",
            f"{name} is set on Usage and Purchase rows (not corrections)",
            [name, "ChargeCategory", "ChargeClass"],
            f"{priced} AND {quote(name)} IS NULL",
        )
        add(
            f"{name}.null-for-tax",
            "warning",
            f"{name} is null on Tax rows",
            [name, "ChargeCategory"],
            f"\"ChargeCategory\" = 'Tax' AND {quote(name)} IS NOT NULL",
        )
    for name in ("ListUnitPrice", "ContractedUnitPrice"):
        add(f"{name}.non-negative", "warning", f"{name} is not negative", [name], f"{v(name)} < 0")
    for price, cost in (("ListUnitPrice", "ListCost"), ("ContractedUnitPrice", "ContractedCost")):
        add(
            f"{cost}.price-times-quantity",
            "warning",
            f"{price} x PricingQuantity = {cost} (not for corrections)",
            [price, "PricingQuantity", cost, "ChargeClass"],
            f"\"ChargeClass\" IS DISTINCT FROM 'Correction' AND "
            f"ABS({_dbl(v(price))} * {_dbl(v('PricingQuantity'))} - {_dbl(v(cost))}) > "
            f"{_TOLERANCE} * GREATEST(ABS({_dbl(v(cost))}), 1)",
        )
    add(
        "BilledCost.zero-for-third-party",
        "warning",
        "BilledCost is 0 when ProviderName and InvoiceIssuerName differ (marketplace)",
        ["BilledCost", "ProviderName", "InvoiceIssuerName"],
        f'"ProviderName" <> "InvoiceIssuerName" AND {v("BilledCost")} <> 0',
    )
    add(
        "PricingCurrencyEffectiveCost.not-null",
        "warning",
        "PricingCurrencyEffectiveCost is set when PricingCurrency is",
        ["PricingCurrencyEffectiveCost", "PricingCurrency"],
        '"PricingCurrency" IS NOT NULL AND "PricingCurrencyEffectiveCost" IS NULL',
    )


def _dbl(expr: str) -> str:
    # DECIMAL(38,10) x DECIMAL(38,10) overflows DuckDB's 38 digits for large quantities; a
    # double is exact enough for a 1e-9 relative tolerance.
    return f"CAST({expr} AS DOUBLE)"
