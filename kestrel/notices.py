"""Notices for the next page ("The incident has been added ...") and where they wait for it.

A message waits in the session, on the server, unless every message waiting is marked as holding
no child data (`success` and `info` here): then it waits in a signed cookie, and neither the page
that says it nor the page that shows it writes the session (three statements each). A message
that names a child, a document or a colleague is sent through `django.contrib.messages` as usual
and never leaves the server.
"""

from django.contrib.messages import add_message, constants
from django.contrib.messages.storage.base import BaseStorage
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.session import SessionStorage

NO_CHILD_DATA = "no-child-data"


def success(request, text: str) -> None:
    """A success message whose text holds no child data (a fixed sentence, a count, a time)."""
    add_message(request, constants.SUCCESS, text, extra_tags=NO_CHILD_DATA)


def info(request, text: str) -> None:
    """An information message whose text holds no child data."""
    add_message(request, constants.INFO, text, extra_tags=NO_CHILD_DATA)


def holds_no_child_data(message) -> bool:
    return NO_CHILD_DATA in (message.extra_tags or "").split()


class MessageStorage(BaseStorage):
    """The session's storage, or the cookie's when every message holds no child data."""

    def __init__(self, request, *args, **kwargs):
        self.cookie = CookieStorage(request, *args, **kwargs)
        self.session = SessionStorage(request, *args, **kwargs)
        super().__init__(request, *args, **kwargs)

    def _get(self, *args, **kwargs):
        # A message may wait in either place (the cookie's are older: they were sent alone).
        from_cookie, _ = self.cookie._get()
        from_session, _ = self.session._get()
        return [*(from_cookie or []), *(from_session or [])], True

    def _store(self, messages, response, *args, **kwargs):
        if messages and all(holds_no_child_data(message) for message in messages):
            unstored = self.cookie._store(messages, response, remove_oldest=False)
            return self.session._store(unstored, response)
        self.cookie._store([], response)
        return self.session._store(messages, response)
