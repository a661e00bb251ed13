"""Password strength: the guide's STRONG, scored by zxcvbn with the person's own words as context.

No composition rules (NCSC and NIST advise against them): length 12 to 128 and a zxcvbn score of
3 or more, so "Password123!" is refused and four unrelated words are accepted. The person's names,
email address and school add nothing: what is left without them must be STRONG on its own.
"""

import math
import re

from django.core import signing
from django.core.exceptions import ValidationError
from zxcvbn import zxcvbn
from zxcvbn.matching import L33T_TABLE, enumerate_l33t_subs, relevant_l33t_subtable

MIN_LENGTH = 12
MAX_LENGTH = 128
STRONG_SCORE = 3
LABELS = ["Very weak", "Weak", "Fair", "Strong", "Very strong"]

# zxcvbn's own guidance: "to bound runtime latency for really long passwords, consider sending
# zxcvbn() only the first 100 characters or so of user input" (dropbox/zxcvbn README). Its time
# grows with the square of the length, times the l33t substitution tables the characters allow
# (up to 736 when every l33t symbol is present: 100 such characters take about 5 s). So the rated
# part is also cut until (tables + 2) x length^2 stays within WORK_BUDGET, about 0.1 s: a password
# whose first characters are STRONG is STRONG whatever follows, so a longer password is never
# rated stronger than it is, only (if its first 100 characters are weak) refused.
RATED_LENGTH = 100
WORK_BUDGET = 150_000

OWN_WORDS_ADVICE = (
    "Your own name, email address and your school’s name are the first words anyone would try: "
    "what is left without them must be STRONG."
)
_SEPARATORS = re.compile(r"[\s._\-+@'’]+")


def rated_part(password: str) -> str:
    """The part of the password zxcvbn rates: at most 100 characters, fewer if they are costly."""
    part = password[:RATED_LENGTH]
    while part:
        tables = len(enumerate_l33t_subs(relevant_l33t_subtable(part, L33T_TABLE)))
        fits = math.isqrt(WORK_BUDGET // (tables + 2))
        if len(part) <= fits:
            break
        part = part[:fits]
    return part


def _forms(phrase: str) -> list[str]:
    """A phrase as zxcvbn can match it: whole, each word, and each run of its words joined
    ("Ashdown Primary School" gives "ashdownprimary", "primaryschool", ...)."""
    phrase = phrase.casefold().strip()
    words = [word for word in _SEPARATORS.split(phrase) if word]
    runs = [
        "".join(words[start:end])
        for start in range(len(words))
        for end in range(start + 2, len(words) + 1)
    ]
    return [phrase, *words, *runs]


def context_words(user=None, extra: tuple[str, ...] = ()) -> list[str]:
    """The words an attacker would try first for this person: their names, email, school."""
    phrases: list[str] = list(extra)
    if user is not None:
        first, last = user.first_name, user.last_name
        local, _, domain = user.email.partition("@")
        phrases += [f"{first} {last}", f"{last} {first}", user.email, local, domain]
        school = getattr(user, "school", None)
        if school is not None:
            phrases.append(school.name)
    phrases.append("kestrel")
    words: list[str] = []
    for phrase in phrases:
        words += [word for word in _forms(phrase) if len(word) > 1 and word not in words]
    return words


def _without(password: str, words: list[str]) -> str:
    """The password (casefolded) with every own word of 3 or more letters taken out."""
    rest = password.casefold()
    for word in sorted((w for w in words if len(w) >= 3), key=len, reverse=True):
        rest = rest.replace(word, " ")
    return rest


def _score(text: str, words: list[str]) -> int:
    return int(zxcvbn(text, user_inputs=words, max_length=RATED_LENGTH)["score"])


def rate(password: str, user=None) -> dict:
    """Scores a password: only its rated part (above), with the person's own words as context."""
    part = rated_part(password)
    if not part:
        return {"score": 0, "label": "", "strong": False, "advice": ""}
    words = context_words(user)
    result = zxcvbn(part, user_inputs=words, max_length=RATED_LENGTH)
    score = int(result["score"])
    feedback = result.get("feedback") or {}
    advice = feedback.get("warning") or " ".join(feedback.get("suggestions") or [])
    rest = _without(part, words)
    if rest != part.casefold():
        stripped = rest.strip()
        rest_score = _score(stripped[:RATED_LENGTH], words) if stripped else 0
        if rest_score < STRONG_SCORE and rest_score < score:
            score, advice = rest_score, OWN_WORDS_ADVICE
    if len(password) < MIN_LENGTH:
        score = min(score, 1)
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


CONTEXT_SALT = "kestrel.accounts.strength"


def context_token(user) -> str:
    """Names, for the meter, whose password is being rated (signed, so it cannot be swapped)."""
    return signing.dumps(user.pk, salt=CONTEXT_SALT) if user is not None else ""
