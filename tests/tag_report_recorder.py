"""A tag-report notifier that keeps what it was asked to post (``TagReportNotifier``), for the
grace-stop tests on every layer: the report's lines are what they assert on."""

from __future__ import annotations

from costwarden.models.notification import PostedMessage
from costwarden.models.tag_report import TagReportMessage


class Recorder:
    def __init__(self) -> None:
        self.messages: list[TagReportMessage] = []

    def post_tag_report(self, message: TagReportMessage) -> PostedMessage:
        self.messages.append(message)
        return PostedMessage("C0", f"1.{len(self.messages)}")
