"""Password strength: the guide's STRONG, scored by zxcvbn with the person's own words as context.

No composition rules (NCSC and NIST advise against them): length 12 to 128 and a zxcvbn score of
3 or more, so "Password123!" is refused and four unrelated words are accepted.
"""

import re

from django.core.exceptions import ValidationError
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 128
STRONG_SCORE = 3
LABELS = ["Very weak", "Weak", "Fair", "Strong", "Very strong"]


def context_words(user=None, extra: tuple[str, ...] = ()) -> list[str]:
    """The words an attacker would try first for this person: their names, email, school."""
    words: list[str] = list(extra)
    if user is not None:
        words += [user.first_name, user.last_name, user.email, user.email.split("@")[0]]
        school = getattr(user, "school", None)
        if school is not None:
            words.append(school.name)
            words += school.name.split()
    words.append("kestrel")
    return [word.lower() for word in words if word and len(word) > 1]


def rate(password: str, user=None) -> dict:
    """Scores a password; the input is cut to 128 characters first so a huge paste costs nothing."""
    password = password[:MAX_LENGTH]
    if not password:
        return {"score": 0, "label": "", "strong": False, "advice": ""}
    result = zxcvbn(password, user_inputs=context_words(user), max_length=MAX_LENGTH)
    score = int(result["score"])
    if len(password) < MIN_LENGTH:
        score = min(score, 1)
    feedback = result.get("feedback") or {}
    advice = feedback.get("warning") or " ".join(feedback.get("suggestions") or [])
    return {
        "score": score,
        "label": LABELS[score],
        "strong": score >= STRONG_SCORE,
        "advice": re.sub(r"\s+", " ", advice).strip(),
    }


class StrongPasswordValidator:
    """Django password validator: refuses anything below STRONG."""

    def validate(self, password: str, user=None) -> None:
        if len(password) < MIN_LENGTH:
            raise ValidationError(
                f"Your password must be at least {MIN_LENGTH} characters long.",
                code="password_too_short",
            )
        if len(password) > MAX_LENGTH:
            raise ValidationError(
                f"Your password must be {MAX_LENGTH} characters or fewer.",
                code="password_too_long",
            )
        rating = rate(password, user)
        if not rating["strong"]:
            message = "This password is not STRONG enough: it would be easy to guess."
            if rating["advice"]:
                message += f" {rating['advice']}"
            raise ValidationError(message, code="password_not_strong")

    def get_help_text(self) -> str:
        return (
            f"Use {MIN_LENGTH} to {MAX_LENGTH} characters that would be hard to guess: several "
            "unrelated words work well. It must be rated STRONG."
        )
