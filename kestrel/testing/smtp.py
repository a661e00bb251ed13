"""A real SMTP server for tests (aiosmtpd), on a free port of 127.0.0.1."""

import email
import socket
from email.policy import default as default_policy

from aiosmtpd.controller import Controller


class _Inbox:
    def __init__(self, refuse_first: int = 0, drop_first: int = 0):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse_first = refuse_first
        self.drop_first = drop_first
        self.refused = 0
        self.dropped = 0

    async def handle_DATA(self, server, session, envelope):
        if self.dropped < self.drop_first:
            self.dropped += 1
            server.transport.close()  # hang up mid-conversation, as a flaky relay does
            return "421 closing"
        if self.refused < self.refuse_first:
            self.refused += 1
            return "451 Requested action aborted: try again later"
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SMTPServer:
    """Starts on enter; `.inbox` holds every message received, parsed."""

    def __init__(self, refuse_first: int = 0, drop_first: int = 0):
        self.port = free_port()
        self._inbox = _Inbox(refuse_first, drop_first)
        self._controller = Controller(self._inbox, hostname="127.0.0.1", port=self.port)

    @property
    def inbox(self):
        return self._inbox.messages

    def delivered(self) -> dict[str, list]:
        """Messages by Message-ID: what a mailbox shows, where one ID is one message."""
        by_id: dict[str, list] = {}
        for message in self.inbox:
            by_id.setdefault(message["Message-ID"], []).append(message)
        return by_id

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self):
        self._controller.start()
        return self

    def __exit__(self, *exc):
        self._controller.stop()


def body_text(message) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part else ""
