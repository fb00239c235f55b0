"""Typed models every cloud's trigger is normalized into."""

from costwarden.models.budget import (
    BudgetAlert,
    BudgetPeriod,
    BudgetType,
    Provider,
    ThresholdKind,
)

__all__ = ["BudgetAlert", "BudgetPeriod", "BudgetType", "Provider", "ThresholdKind"]
