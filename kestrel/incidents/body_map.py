"""Reading the body map's markers from the Add Incident form."""

import json

from django.core.exceptions import ValidationError

MAX_MARKERS = 40
# Each marker's description, as the body map's fields send it: text up to DETAIL_LENGTH, and
# "Skin broken?" and "Swelling?" as one of OBSERVED (or empty: not answered).
TEXT_DETAILS = ("site", "size", "shape", "colour")
OBSERVED = {"", "yes", "no", "unknown"}
DETAIL_LENGTH = 100


def parse_markers(raw: str) -> list[dict]:
    """The markers as sent by the body map ("[{"n":1,"side":"front","x":0.5,"y":0.2}, ...]")."""
    if not raw or not raw.strip():
        return []
    try:
        data = json.loads(raw)
    except (ValueError, TypeError):
        raise ValidationError("The body map could not be read. Place the markers again.") from None
    if not isinstance(data, list) or len(data) > MAX_MARKERS:
        raise ValidationError(f"The body map can hold up to {MAX_MARKERS} markers.")
    markers, numbers = [], set()
    for item in data:
        try:
            number, side = int(item["n"]), item["side"]
            x, y = float(item["x"]), float(item["y"])
        except (KeyError, TypeError, ValueError):
            raise ValidationError(
                "The body map could not be read. Place the markers again."
            ) from None
        # Numbers stay as placed (removing marker 2 does not renumber 3): the text refers to them.
        if number in numbers or not 1 <= number <= 99:
            raise ValidationError("The body map could not be read. Place the markers again.")
        if side not in {"front", "back"} or not (0 <= x <= 1 and 0 <= y <= 1):
            raise ValidationError("A body map marker is outside the figures. Place it again.")
        numbers.add(number)
        markers.append(
            {"number": number, "side": side, "x": round(x, 4), "y": round(y, 4)}
            | _details(item, number)
        )
    return sorted(markers, key=lambda marker: marker["number"])


def _details(item: dict, number: int) -> dict:
    """A marker's site, size, shape, colour, skin broken and swelling, each checked."""
    details = {}
    for name in TEXT_DETAILS:
        value = item.get(name) or ""
        if not isinstance(value, str):
            raise ValidationError("The body map could not be read. Place the markers again.")
        value = " ".join(value.replace("\x00", "").split())
        if len(value) > DETAIL_LENGTH:
            raise ValidationError(
                f"Marker {number}’s {name} must be {DETAIL_LENGTH} characters or fewer."
            )
        details[name] = value
    for name in ("broken", "swelling"):
        value = item.get(name) or ""
        if value not in OBSERVED:
            raise ValidationError("The body map could not be read. Place the markers again.")
        details[name] = value
    return details
