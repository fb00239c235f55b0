"""Slack adapter: Block Kit rendering of budget alerts and the ``Notifier`` on the Web API."""
