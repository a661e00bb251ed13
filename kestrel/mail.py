"""What every email Kestrel sends shares."""

import unicodedata


def header_safe(text: str) -> str:
    """`text` on one line: control characters (CR, LF, tab...) and line separators become
    spaces, so that a name typed with a line break cannot break (or add to) an email's headers."""
    return " ".join(
        "".join(
            " " if unicodedata.category(char) in {"Cc", "Zl", "Zp"} else char for char in text
        ).split()
    )
