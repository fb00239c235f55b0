"""Budget notifications from AWS, Azure and Google Cloud -> ``BudgetAlert``.

Entry points (the functions' handlers depend on these names):

* ``parse_budget_event(payload)`` - a decoded raw trigger exactly as a function receives it
  (Lambda SNS event, Pub/Sub CloudEvent / push body / background event, Azure webhook body);
  the cloud is detected from the shape unless ``provider`` forces it. Returns every alert in
  it: one per SNS record, one per threshold kind in a Google message.
* ``parse_budget_event_text(text)`` - the same from raw bytes or text.
* ``from_sns_message`` / ``from_pubsub_message`` / ``from_azure_webhook`` - one provider's
  message once the handler has unwrapped it.

Malformed input raises ``PayloadError``; a well-formed payload of a shape we do not handle
(or not the forced provider's) raises ``UnrecognisedPayloadError``. Each provider module's
docstring records the decisions taken for that cloud (percent, period start, currency).
"""

from __future__ import annotations

from datetime import datetime

from costwarden.models.budget import BudgetAlert, Provider
from costwarden.normalize.budget.aws import from_sns_message
from costwarden.normalize.budget.azure import from_azure_webhook
from costwarden.normalize.budget.envelope import detect_provider, parse, parse_text
from costwarden.normalize.budget.gcp import from_pubsub_message, pubsub_alerts

__all__ = [
    "detect_provider",
    "from_azure_webhook",
    "from_pubsub_message",
    "from_sns_message",
    "parse_budget_event",
    "parse_budget_event_text",
    "pubsub_alerts",
]


def parse_budget_event(
    payload: object, *, provider: Provider | None = None, received_at: datetime | None = None
) -> list[BudgetAlert]:
    """Every budget alert in one decoded trigger payload.

    ``received_at`` (when the function got the event) dates alerts whose payload carries no
    timestamp - Azure's legacy schema - and is otherwise only a fallback.
    """
    return parse(payload, provider=provider, received_at=received_at)


def parse_budget_event_text(
    text: str | bytes, *, provider: Provider | None = None, received_at: datetime | None = None
) -> list[BudgetAlert]:
    """``parse_budget_event`` from raw bytes or text; bad JSON raises ``PayloadError``."""
    return parse_text(text, provider=provider, received_at=received_at)
