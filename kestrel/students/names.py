"""Hide Names: the one place that decides how a student's name is shown.

With Hide Names on (a choice kept for the session), pages show stars instead of any student's
name, so the name never reaches the browser. Every page that shows a student goes through here.
"""

HIDE_NAMES_SESSION_KEY = "kestrel_hide_names"
MASK = "*****"
# Every name a student is known by, legal and preferred.
STUDENT_NAME_FIELDS = (
    "legal_first_name",
    "legal_last_name",
    "preferred_first_name",
    "preferred_last_name",
)
# The columns a student's label is made from: what a list may load instead of the whole row.
LABEL_FIELDS = (*STUDENT_NAME_FIELDS, "tutor_group")


def names_hidden(request) -> bool:
    session = getattr(request, "session", None)
    return bool(session and session.get(HIDE_NAMES_SESSION_KEY))


def display_name(student, *, hidden: bool) -> str:
    return f"{MASK} {MASK}" if hidden else student.name


def display_label(student, *, hidden: bool) -> str:
    """As the guides show a student, "Hannah Greenwood (1B)", or "***** ***** (1B)"."""
    name = display_name(student, hidden=hidden)
    return f"{name} ({student.tutor_group})" if student.tutor_group else name


def mask_text(text: str, students) -> str:
    """Stars out the students' names inside free text, as the guide describes for Hide Names:
    whole words, any case, spelled as in Kestrel's records (apostrophes, hyphens and accents
    included), and before a possessive 's. Initials are left alone."""
    import re

    names = sorted(
        {name for student in students for name in student.all_names() if len(name) > 1},
        key=len,
        reverse=True,
    )
    if not names:
        return text
    # A name ends where no letter, apostrophe or hyphen follows, or where a possessive does:
    # "Hannah's mum" is "*****'s mum" (O'Brien stays one name).
    pattern = re.compile(
        r"(?<![\w'’-])(?:"
        + "|".join(re.escape(name) for name in names)
        + r")(?=['’]s(?![\w'’-])|(?![\w'’-]))",
        re.IGNORECASE,
    )
    return pattern.sub(MASK, text)
