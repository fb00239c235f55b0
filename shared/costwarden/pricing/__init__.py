"""Savings estimates: what a stopped resource no longer costs (``estimator.py``)."""

from costwarden.pricing.estimator import (
    FOCUS_WINDOW_DAYS,
    FocusSavingsEstimator,
    Hourly,
    PriceTableEstimator,
    ResourceCost,
    ResourceCosts,
    SavingsEstimator,
    load_price_table,
)

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
