"""What a stopped resource saves: an hourly price per resource, from billed costs or list prices.

Two estimators implement the ``SavingsEstimator`` port the scheduler asks once per planned
action:

* ``FocusSavingsEstimator``: the resource's own billed cost from FOCUS data (``EffectiveCost``
  summed by ``ResourceId`` over the last 30 days, divided by the hours it had charges). That is
  what this deployment really pays, discounts and all. Resources without FOCUS rows (new ones,
  Auto Scaling groups, which bill through their instances) fall back to:
* ``PriceTableEstimator``: the bundled on-demand list price of the instance type / VM size /
  DB class (``on_demand.csv``, one region per cloud, read on a stated date). Always labelled an
  *estimate*: real prices differ by region and discount.

Both are pure: FOCUS data comes through the ``ResourceCosts`` port (DuckDB adapter:
``costwarden.adapters.focus.resource_costs``).
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Protocol

from costwarden.errors import CostwardenError
from costwarden.models.budget import Provider
from costwarden.models.resource import Resource
from costwarden.plan.model import SavingBasis

log = logging.getLogger(__name__)

PRICE_TABLE = "on_demand.csv"
#: The window FOCUS costs are averaged over: long enough to smooth a month-end, short enough to
#: follow a resize.
FOCUS_WINDOW_DAYS = 30

Hourly = tuple[Decimal, str, SavingBasis]


class SavingsEstimator(Protocol):
    """The hourly cost of running ``resource`` (price, currency, basis), or None if unknown."""

    def hourly(self, resource: Resource) -> Hourly | None: ...


# -- the bundled price table -----------------------------------------------------------------
def load_price_table(text: str | None = None) -> dict[tuple[str, str], Decimal]:
    """``(cloud, size) -> USD per hour`` from the CSV (the bundled one when ``text`` is None).

    Lines starting with ``#`` are comments (the source and date of the prices). A malformed row
    is a packaging bug and raises ``ValueError`` naming the line.
    """
    if text is None:
        text = resources.files(__package__).joinpath(PRICE_TABLE).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    table: dict[tuple[str, str], Decimal] = {}
    for number, row in enumerate(csv.DictReader(io.StringIO("\n".join(lines))), start=2):
        try:
            cloud, size = row["cloud"].strip(), row["size"].strip()
            price = Decimal(row["hourly_usd"].strip())
        except (KeyError, AttributeError, InvalidOperation) as error:
            raise ValueError(f"price table row {number} is malformed: {row!r}") from error
        if not cloud or not size or price <= 0:
            raise ValueError(f"price table row {number} is malformed: {row!r}")
        table[(cloud, _size_key(cloud, size))] = price
    return table


def _size_key(cloud: str, size: str) -> str:
    # Azure sizes are case-insensitive (the API returns "Standard_D2s_v3" and "standard_d2s_v3");
    # AWS and Google names are lower case already.
    return size.strip().lower()


_DEFAULT_TABLE: dict[tuple[str, str], Decimal] | None = None


class PriceTableEstimator:
    """Hourly on-demand list prices by instance type / VM size / DB class (an estimate).

    An Auto Scaling group costs its instance type times its desired capacity (at least its
    minimum): that is what scaling it to zero saves.
    """

    def __init__(self, table: Mapping[tuple[str, str], Decimal] | None = None) -> None:
        global _DEFAULT_TABLE  # noqa: PLW0603 - the bundled CSV is parsed once per process
        if table is None:
            if _DEFAULT_TABLE is None:
                _DEFAULT_TABLE = load_price_table()
            table = _DEFAULT_TABLE
        self._table = {(cloud, _size_key(cloud, size)): p for (cloud, size), p in table.items()}

    def price(self, cloud: str, size: str) -> Decimal | None:
        """The list price per hour of one instance of ``size``, None when not in the table."""
        return self._table.get((cloud, _size_key(cloud, size)))

    def hourly(self, resource: Resource) -> Hourly | None:
        if not resource.size:
            return None
        price = self.price(resource.cloud, resource.size)
        if price is None:
            return None
        if resource.resource_type == "asg":
            capacity = resource.capacity
            count = 0 if capacity is None else max(capacity.desired, capacity.min_size)
            if count <= 0:
                return None
            price *= count
        return price, "USD", "price_table"


# -- FOCUS data --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ResourceCost:
    """One resource's billed cost over a window, as FOCUS data reports it."""

    resource_id: str
    resource_name: str | None
    #: SubAccountId (AWS account, Azure subscription path, Google project), when present.
    account: str | None
    cost: Decimal
    #: Hours the resource had charges in the window (see ``ResourceCosts``).
    hours: Decimal
    currency: str


class ResourceCosts(Protocol):
    """Billed cost per ``ResourceId`` of one provider over ``[start, end)``.

    ``hours`` counts the charge periods in which the resource cost something: exact with
    hourly data (AWS), whole days with daily data (Azure, Google), which makes the hourly cost
    read *low* for a resource that was stopped part of each day, so a saving is never
    overstated. Raises ``CostwardenError`` when configured data cannot be read.
    """

    def resource_costs(
        self, *, provider: Provider, start: datetime, end: datetime
    ) -> Sequence[ResourceCost]: ...


class FocusSavingsEstimator:
    """Hourly cost from this deployment's FOCUS data, else the price table (labelled estimate).

    FOCUS rows are read once per provider, on the first question, for the ``window_days``
    before ``at``. A broken cost store is logged and every resource falls back to list prices:
    savings are an enrichment and must not stop a shutdown.
    """

    def __init__(
        self,
        costs: ResourceCosts,
        *,
        at: datetime,
        fallback: SavingsEstimator | None = None,
        window_days: int = FOCUS_WINDOW_DAYS,
    ) -> None:
        self._costs = costs
        self._end = at
        self._start = at - timedelta(days=window_days)
        self._fallback: SavingsEstimator = fallback or PriceTableEstimator()
        self._indexes: dict[str, _CostIndex] = {}
        self.error: str | None = None  # why FOCUS data could not be used, for logs and tests

    def hourly(self, resource: Resource) -> Hourly | None:
        index = self._index(resource.cloud)
        found = index.find(resource)
        if found is not None and found.hours > 0 and found.cost > 0:
            return found.cost / found.hours, found.currency, "focus"
        return self._fallback.hourly(resource)

    def _index(self, provider: Provider) -> _CostIndex:
        index = self._indexes.get(provider)
        if index is None:
            try:
                rows = self._costs.resource_costs(
                    provider=provider, start=self._start, end=self._end
                )
            except CostwardenError as error:
                self.error = str(error)
                log.warning("FOCUS cost data unavailable, using list prices: %s", error)
                rows = ()
            index = self._indexes[provider] = _CostIndex(rows)
        return index


def _key(text: str) -> str:
    return text.strip().rstrip("/").lower()


def _tail(text: str) -> str:
    """The last segment of an id: ``i-0abc`` of an EC2 ARN, ``mydb`` of ``...:db:mydb``."""
    return _key(text).rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def _account(text: str | None) -> str:
    return "" if not text else _key(text).rsplit("/", 1)[-1]


class _CostIndex:
    """Finds a resource's FOCUS row by the id forms each cloud's exports use.

    FOCUS ``ResourceId`` is an ARN or a bare id on AWS (``i-0abc``, ``arn:aws:rds:...:db:x``),
    the full ARM id on Azure, and ``//compute.googleapis.com/projects/p/zones/z/instances/<id or
    name>`` on Google. Tried in order: the exact forms, then the last id segment within the
    account, then the resource name within the account. An ambiguous tail or name (two rows)
    matches nothing rather than the wrong resource.
    """

    def __init__(self, rows: Iterable[ResourceCost]) -> None:
        self.exact: dict[str, ResourceCost] = {}
        tails: dict[tuple[str, str], ResourceCost | None] = {}
        names: dict[tuple[str, str], ResourceCost | None] = {}
        for row in rows:
            key = _key(row.resource_id)
            best = self.exact.get(key)
            # Several currencies for one resource: keep the one with the most spend.
            if best is None or row.cost > best.cost:
                self.exact[key] = row
        for row in self.exact.values():
            account = _account(row.account)
            _add_unique(tails, (account, _tail(row.resource_id)), row)
            if row.resource_name:
                _add_unique(names, (account, row.resource_name.strip().lower()), row)
        self.tails = tails
        self.names = names

    def find(self, resource: Resource) -> ResourceCost | None:
        for candidate in _exact_forms(resource):
            found = self.exact.get(candidate)
            if found is not None:
                return found
        account = _account(resource.account)
        for tail in {_tail(resource.resource_id), resource.extra.get("id", "").lower()} - {""}:
            found = self.tails.get((account, tail))
            if found is not None:
                return found
        return self.names.get((account, resource.name.strip().lower())) if resource.name else None


def _add_unique(
    index: dict[tuple[str, str], ResourceCost | None], key: tuple[str, str], row: ResourceCost
) -> None:
    index[key] = row if key not in index else None


def _exact_forms(resource: Resource) -> list[str]:
    rid = _key(resource.resource_id)
    account, region = resource.account.lower(), resource.region.lower()
    forms = [rid]
    if resource.resource_type == "ec2_instance":
        forms.append(f"arn:aws:ec2:{region}:{account}:instance/{rid}")
    elif resource.resource_type == "rds_instance":
        forms.append(f"arn:aws:rds:{region}:{account}:db:{rid}")
    elif resource.resource_type == "gce_instance":
        zone, _, name = rid.rpartition("/")
        zone = zone or region
        ids = [name, resource.extra.get("id", "").lower()]
        for ident in filter(None, ids):
            path = f"projects/{account}/zones/{zone}/instances/{ident}"
            forms += [f"//compute.googleapis.com/{path}", path]
    return forms


__all__ = [
    "FOCUS_WINDOW_DAYS",
    "FocusSavingsEstimator",
    "Hourly",
    "PriceTableEstimator",
    "ResourceCost",
    "ResourceCosts",
    "SavingsEstimator",
    "load_price_table",
]
