"""The one error a file check raises."""


class Refused(Exception):
    """The file cannot be kept; the message says why, in plain words, for the person who chose it.
    `reason` names the refusal for the audit trail without the file's name, which may name a
    child."""

    def __init__(self, message: str, *, reason: str):
        super().__init__(message)
        self.reason = reason
