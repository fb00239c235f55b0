"""The digest's chart as a PNG: daily cost stacked by service (or team), and the budget burn-up.

Drawn with matplotlib's object API on the Agg canvas: no pyplot, so no global figure state and no
GUI backend, which keeps it safe in a warm serverless container that renders several charts.
matplotlib wants a writable config directory for its font cache (``MPLCONFIGDIR``); on Lambda
and Cloud Functions only ``/tmp`` is writable and matplotlib falls back to a temporary directory
there by itself (``docs/cost-digest.md``).
"""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from costwarden.models.digest import UNALLOCATED, CostDigest

WIDTH_INCHES = 10.0
DPI = 100
# Colour-blind-safe Okabe-Ito palette; "Other" grey and "Unallocated" red are fixed so they read
# the same in every digest.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
FIXED_COLOURS = {"Other": "#B0B0B0", UNALLOCATED: "#C44E52"}
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def render_digest_chart(digest: CostDigest) -> bytes:
    """PNG bytes of the digest's chart (about 1000 px wide)."""
    with_budget = digest.budget is not None and digest.days_covered > 0
    figure = Figure(figsize=(WIDTH_INCHES, 6.2 if with_budget else 4.2), dpi=DPI)
    FigureCanvasAgg(figure)
    if with_budget:
        bars, burn = figure.subplots(2, 1, height_ratios=(3, 2))
        _burn_up(burn, digest)
    else:
        bars = figure.subplots()
    _daily_bars(bars, digest)
    figure.set_layout_engine("constrained")
    buffer = io.BytesIO()
    # No "Software" metadata: the same digest renders the same bytes on any matplotlib build.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def money_label(amount: float, currency: str) -> str:
    """Axis money, with ``$`` escaped: matplotlib reads a pair of ``$`` as mathtext."""
    symbol = _SYMBOLS.get(currency)
    sign = "-" if amount < 0 else ""
    value = abs(amount)
    text = f"{value / 1000:,.1f}k" if value >= 10_000 else f"{value:,.0f}"
    if symbol:
        return f"{sign}{symbol.replace('$', chr(92) + '$')}{text}"
    return f"{sign}{text} {currency}"


def _daily_bars(axes: Axes, digest: CostDigest) -> None:
    days = digest.chart_days()
    xs = [_x(d) for d in days]
    values: dict[str, dict[date, float]] = defaultdict(dict)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for point in digest.daily:
        values[point.group][point.day] = float(point.amount)
        totals[point.group] += point.amount
    order = sorted(values, key=lambda g: (g in FIXED_COLOURS, g == UNALLOCATED, -totals[g], g))
    up = [0.0] * len(days)
    down = [0.0] * len(days)
    colours = iter(PALETTE * 3)
    for group in order:
        series = [values[group].get(d, 0.0) for d in days]
        bottoms = [up[i] if v >= 0 else down[i] for i, v in enumerate(series)]
        colour = FIXED_COLOURS.get(group) or next(colours)
        axes.bar(xs, series, width=0.8, bottom=bottoms, label=_short(group), color=colour)
        for i, v in enumerate(series):
            if v >= 0:
                up[i] += v
            else:
                down[i] += v
    if digest.trailing_average is not None:
        average = float(digest.trailing_average)
        label = f"{digest.trailing_days}-day average"
        axes.axhline(average, color="#333333", linewidth=1, linestyle="--", label=label)
    title = f"Daily cost, {digest.title}, {days[0]:%d %b} to {days[-1]:%d %b %Y} (UTC)"
    axes.set_title(title, fontsize=11, loc="left")
    _money_axis(axes, digest.currency)
    _date_axis(axes)
    axes.set_xlim(xs[0] - 1, xs[-1] + 1)
    top = max([*up, 0.0])
    if top > 0:
        # Headroom for the legend, so it never covers the most recent bars.
        axes.set_ylim(min([*down, 0.0]) * 1.1, top * (1.18 + 0.07 * (len(order) // 4)))
    if order:
        axes.legend(fontsize=8, loc="upper left", ncols=min(4, len(order) + 1), frameon=False)
    else:
        axes.text(0.5, 0.5, "no cost in this period", transform=axes.transAxes, ha="center")


def _burn_up(axes: Axes, digest: CostDigest) -> None:
    """Month to date, cumulative, against the budget spent evenly over the month."""
    assert digest.budget is not None
    covered = digest.covered_through
    cumulative: list[float] = []
    running = Decimal(0)
    points = [d for d, _ in digest.month_daily if covered is not None and d <= covered]
    for _day, amount in digest.month_daily[: len(points)]:
        running += amount
        cumulative.append(float(running))
    month_end = digest.month_start + timedelta(days=digest.days_in_month - 1)
    budget = float(digest.budget)
    axes.plot(
        [_x(d) for d in points],
        cumulative,
        color=PALETTE[0],
        linewidth=2,
        marker="o",
        markersize=3,
        label="month to date",
    )
    axes.plot(
        [_x(digest.month_start), _x(month_end)],
        [budget / digest.days_in_month, budget],
        color="#555555",
        linestyle="--",
        linewidth=1,
        label="budget pace",
    )
    axes.axhline(budget, color="#C44E52", linewidth=1, label="budget")
    title = f"Month to date against the budget ({digest.day:%B %Y})"
    axes.set_title(title, fontsize=10, loc="left")
    axes.set_xlim(_x(digest.month_start) - 1, _x(month_end) + 1)
    axes.set_ylim(bottom=0)
    _money_axis(axes, digest.currency)
    _date_axis(axes)
    axes.legend(fontsize=8, loc="upper left", frameon=False)


def _money_axis(axes: Axes, currency: str) -> None:
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: money_label(v, currency)))
    axes.grid(axis="y", color="#E5E5E5", linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def _date_axis(axes: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]


def _x(day: date) -> float:
    """matplotlib's date number (days since its epoch) of a calendar day."""
    return float(mdates.date2num(day))  # type: ignore[no-untyped-call]


def _short(label: str, limit: int = 40) -> str:
    text = label.replace("$", chr(92) + "$")  # service names are free text: no mathtext
    return text if len(text) <= limit else text[: limit - 1] + "…"
