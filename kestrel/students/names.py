"""Hide Names: the one place that decides how a student's name is shown.

With Hide Names on (a choice kept for the session), pages show stars instead of any student's
name, so the name never reaches the browser. Every page that shows a student goes through here.

How names are found in free text (incident and action text, correction reasons, file names):

1. Text and names are compared folded: compatibility-decomposed, accents and invisible format
   characters (soft hyphens, zero-width spaces) dropped, case folded (`kestrel.search.fold`),
   and every apostrophe-like mark (`APOSTROPHES`: curly quotes, backtick, modifier letter
   apostrophe, prime, acute accent) read as '. So "Zoe" + U+0308, "Zoë" and "ZOË" are one name,
   and "O'Neill" typed with a curly apostrophe is "O'Neill".
2. A name is a whole word: no letter just before or after it. Spaces, quotes, digits,
   punctuation, "_", "-" and "." are boundaries ("Siobhan", 'Siobhan', Siobhan_statement.pdf);
   an apostrophe joins only between two letters ("O'Neill"), and "'s" after a name is a
   possessive ("Hannah's" is "*****'s").
3. Full names: any student of the school, by any of their first names (legal or preferred)
   next to any of their last names, in either order and any case, apart only by a space, "_",
   "-", ".", "," or nothing ("Leah Simpson", "Simpson, Leah", "siobhan_oneill",
   "SiobhanONeill"), wherever the text says it.
4. Named apart: a student of the school whose first name and last name both appear in the text
   as names (rule 5's case), anywhere ("Mrs Simpson came to pick Leah up").
5. The single names of the students the text is about (the incident's own and linked students)
   where the text writes them as names: with a capital first letter ("Will", "SIOBHAN",
   "O'brien") or exactly as the record spells them ("de Souza"). Not in lower case: "will",
   "an", "rose" are words. A name of one or two letters is not matched in capitals unless the
   record has it so: "MD" is an abbreviation, not "Md". One-letter names are initials: left.
6. Spellings: a name without its apostrophe or with a space for it ("ONeill", "O Neill"), and
   each part of a hyphenated or spaced name of rule 5's students ("Ivy" of "Ivy-Rose").

The stars replace only the name: every other character of the text stays as it was typed.
A school's names are one Aho-Corasick automaton (pyahocorasick), built once per process and
kept while the school's students' names are unchanged (`SchoolNames.of`: one query a page).
"""

import re
import threading
import unicodedata
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import ahocorasick
from django.template.defaultfilters import date as date_filter

from kestrel.search import fold

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


def _names_hidden(request) -> bool:
    session = getattr(request, "session", None)
    return bool(session and session.get(HIDE_NAMES_SESSION_KEY))


def switch_hide_names(request) -> bool:
    """The Hide Names button: hides the names if they are shown, shows them if hidden, for the
    rest of the session. Says whether they are hidden now."""
    hidden = not _names_hidden(request)
    request.session[HIDE_NAMES_SESSION_KEY] = hidden
    request.__dict__.pop("_names_shown", None)  # the request's presenter is out of date
    return hidden


def display_name(student, *, hidden: bool) -> str:
    return f"{MASK} {MASK}" if hidden else student.name


def display_label(student, *, hidden: bool) -> str:
    """As the guides show a student, "Hannah Greenwood (1B)", or "***** ***** (1B)"."""
    name = display_name(student, hidden=hidden)
    return f"{name} ({student.tutor_group})" if student.tutor_group else name


def mask_text(text: str, students, *, school_names: "SchoolNames | None" = None) -> str:
    """Stars out the names in free text by the rules above: `students` are those the text is
    about (the incident's own and linked students); `school_names` (`SchoolNames.of(school)`)
    adds every student of the school named by full name. Without it, only `students`."""
    if not text:
        return text
    students = list(students)
    names = school_names or SchoolNames(name_rows(students))
    return names.mask(text, students)


# Folding, with where each folded character came from


APOSTROPHES = str.maketrans(dict.fromkeys("\u2019\u2018`\u02bc\u2032\u00b4\uff07", "'"))
# Between the two halves of a full name ("Leah Simpson", "Simpson, Leah", "Leah_Simpson.pdf").
SEPARATORS = " \t\r\n_-.,"
MAX_GAP = 3
_FOLDED: dict[str, str] = {}


def _fold_char(char: str) -> str:
    result = _FOLDED.get(char)
    if result is None:
        plain = char.translate(APOSTROPHES)
        invisible = unicodedata.category(plain) == "Cf"  # soft hyphen, zero-width space, ...
        result = _FOLDED[char] = "" if invisible else fold(plain)
    return result


def folded(text: str) -> str:
    """`text` as names are compared: see rule 1."""
    return "".join(_fold_char(char) for char in text)


def _fold_with_positions(text: str) -> tuple[str, Sequence[int], Sequence[int]]:
    """The folded text, and for each of its characters where in `text` it starts and ends (an
    accent or invisible character dropped belongs to the letter before it)."""
    n = len(text)
    if text.isascii():
        return text.lower().translate(APOSTROPHES), range(n), range(1, n + 1)
    # Most texts fold one character to one ("é" to "e", a curly apostrophe to "'"): then one
    # translate does it.
    table = {ord(char): _fold_char(char) for char in set(text)}
    if all(len(piece) == 1 for piece in table.values()):
        return text.translate(table), range(n), range(1, n + 1)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for index, char in enumerate(text):
        piece = _fold_char(char)
        if not piece:
            if ends:
                ends[-1] = index + 1
            continue
        out.append(piece)
        starts.extend([index] * len(piece))
        ends.extend([index + 1] * len(piece))
    return "".join(out), starts, ends


def _as_written(text: str) -> str:
    """For comparing with the record's own spelling: composed, one apostrophe, case kept."""
    return unicodedata.normalize("NFC", text).translate(APOSTROPHES)


def _opens(norm: str, start: int) -> bool:
    """No letter, and no apostrophe joined to a letter, just before `start`."""
    if start == 0:
        return True
    before = norm[start - 1]
    if before.isalpha():
        return False
    return not (before == "'" and start >= 2 and norm[start - 2].isalpha())


def _closes(norm: str, stop: int) -> bool:
    """No letter just after `stop`, and no apostrophe joined to one, but for a possessive 's."""
    if stop == len(norm):
        return True
    after = norm[stop]
    if after.isalpha():
        return False
    if after != "'" or stop + 1 == len(norm) or not norm[stop + 1].isalpha():
        return True
    return norm[stop + 1] == "s" and (stop + 2 == len(norm) or not norm[stop + 2].isalpha())


def _reads_as_name(span: str, token: str) -> bool:
    """Rule 5's case: a capital first letter, and a name of two letters not in capitals."""
    letters = [char for char in span if char.isalpha()]
    if not letters or not letters[0].isupper():
        return False
    shouted = len(letters) > 1 and all(char.isupper() for char in letters)
    return not (shouted and len(token) <= 2)


def _letters(token: str) -> int:
    return sum(char.isalpha() for char in token)


def name_tokens(value: str) -> tuple[set[str], set[str]]:
    """A name's folded spellings as a whole (with and without its apostrophes), and its parts
    (of a hyphenated or spaced name). A one-letter part is an initial and left out; a one-letter
    name is kept for full names ("S Lindqvist") only."""
    whole = " ".join(folded(value).split()).strip(" -")
    if not whole:
        return set(), set()
    wholes = {whole, whole.replace("'", ""), " ".join(whole.replace("'", " ").split())}
    parts = set()
    for part in re.split(r"[\s-]+", whole):
        parts |= {part, part.replace("'", "")}
    keep = {token for token in wholes if _letters(token) > 0}
    return keep, {token for token in parts if _letters(token) > 1} - keep


def name_rows(students) -> tuple:
    """Students as `SchoolNames` takes them: (pk, *STUDENT_NAME_FIELDS)."""
    return tuple(
        (student.pk, *(getattr(student, field) or "" for field in STUDENT_NAME_FIELDS))
        for student in students
    )


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int  # in the folded text
    stop: int
    token: str
    opens: bool
    closes: bool


class _About:
    """The students a text is about: their single names (rule 5) and how the records spell them."""

    def __init__(self, students):
        self.tokens: set[str] = set()
        self.spellings: set[str] = set()
        for student in students:
            for field in STUDENT_NAME_FIELDS:
                value = getattr(student, field) or ""
                wholes, parts = name_tokens(value)
                self.tokens |= {token for token in wholes | parts if _letters(token) > 1}
                if value.strip():
                    self.spellings.add(_as_written(value.strip()))


_CACHE: "OrderedDict[int, SchoolNames]" = OrderedDict()
_CACHE_LOCK = threading.Lock()
CACHED_SCHOOLS = 16


class SchoolNames:
    """Every name of a school's students in one automaton, and whose name each spelling is."""

    def __init__(self, rows):
        self.rows = tuple(rows)
        self.first_of: dict[str, set] = defaultdict(set)  # whole spellings
        self.last_of: dict[str, set] = defaultdict(set)
        self.first_part_of: dict[str, set] = defaultdict(set)  # parts: for full names too
        self.last_part_of: dict[str, set] = defaultdict(set)
        for pk, legal_first, legal_last, preferred_first, preferred_last in self.rows:
            for value in (legal_first, preferred_first):
                wholes, parts = name_tokens(value)
                for token in wholes:
                    self.first_of[token].add(pk)
                for token in parts:
                    self.first_part_of[token].add(pk)
            for value in (legal_last, preferred_last):
                wholes, parts = name_tokens(value)
                for token in wholes:
                    self.last_of[token].add(pk)
                for token in parts:
                    self.last_part_of[token].add(pk)
        self.tokens = frozenset(
            {*self.first_of, *self.last_of, *self.first_part_of, *self.last_part_of}
        )
        self.initials = frozenset(token for token in self.tokens if _letters(token) < 2)
        self.automaton = ahocorasick.Automaton()
        for token in self.tokens:
            self.automaton.add_word(token, token)
        if self.tokens:
            self.automaton.make_automaton()

    @classmethod
    def of(cls, school) -> "SchoolNames":
        """The school's names: one query; the automaton is built again only when they change."""
        from kestrel.students.models import Student

        rows = tuple(
            Student.objects.filter(school=school)
            .order_by("pk")
            .values_list("pk", *STUDENT_NAME_FIELDS)
        )
        with _CACHE_LOCK:
            cached = _CACHE.get(school.pk)
            if cached is not None and cached.rows == rows:
                _CACHE.move_to_end(school.pk)
                return cached
        built = cls(rows)
        with _CACHE_LOCK:
            _CACHE[school.pk] = built
            _CACHE.move_to_end(school.pk)
            while len(_CACHE) > CACHED_SCHOOLS:
                _CACHE.popitem(last=False)
        return built

    def mask(self, text: str, students) -> str:
        """`text` with the names of `students` (rule 5) and of the school (rules 3, 4) starred."""
        if not text:
            return text
        about = _About(students)
        if not about.tokens <= self.tokens:  # a student not among the rows: add them
            known = {row[0] for row in self.rows}
            extra = name_rows(s for s in students if s.pk not in known or s.pk is None)
            return SchoolNames(self.rows + extra).mask(text, students)
        norm, starts, ends = _fold_with_positions(text)
        hits = self._hits(norm, text, starts)

        def span(hit: _Hit) -> str:
            return text[starts[hit.start] : ends[hit.stop - 1]]

        masked: list[_Hit] = []
        as_names: list[_Hit] = []
        for hit in hits:
            if not (hit.opens and hit.closes):
                continue
            written = span(hit)
            name_like = hit.token not in self.initials and _reads_as_name(written, hit.token)
            if hit.token in about.tokens and (name_like or _as_written(written) in about.spellings):
                masked.append(hit)
            if name_like:
                as_names.append(hit)
        masked += self._named_apart(as_names)
        masked += self._full_names(norm, hits, text, starts)
        return _starred(text, [(starts[h.start], ends[h.stop - 1]) for h in masked])

    def _hits(self, norm: str, text: str, starts) -> list[_Hit]:
        """Where a spelling is found whole, or where it may be half of a full name run together
        ("SiobhanONeill"); not inside other words ("an" in "and")."""
        if not self.tokens:
            return []
        hits = []
        size = len(norm)
        for end, token in self.automaton.iter(norm):
            start, stop = end + 1 - len(token), end + 1
            if start and norm[start - 1].isalpha() and not text[starts[start]].isupper():
                continue  # inside a word ("an" in "and"), and not the second half of a name
            opens, closes = _opens(norm, start), _closes(norm, stop)
            if (
                (opens and closes)
                or (opens and stop < size and text[starts[stop]].isupper())
                or (closes and text[starts[start]].isupper())
            ):
                hits.append(_Hit(start, stop, token, opens, closes))
        return hits

    def _named_apart(self, as_names: list[_Hit]) -> list[_Hit]:
        """Rule 4: a student whose first and last names are both in the text, as names."""
        seen = {hit.token for hit in as_names}
        firsts = [token for token in seen if token in self.first_of]
        lasts = [token for token in seen if token in self.last_of]
        if not firsts or not lasts:
            return []
        named = (
            set()
            .union(*(self.first_of[token] for token in firsts))
            .intersection(*[set().union(*(self.last_of[token] for token in lasts))])
        )
        tokens = set()
        for pk in named:
            first = {token for token in firsts if pk in self.first_of[token]}
            last = {token for token in lasts if pk in self.last_of[token]}
            if first != last or len(first) > 1:  # "Taylor Taylor" needs both words
                tokens |= first | last
        return [hit for hit in as_names if hit.token in tokens]

    def _full_names(self, norm: str, hits: list[_Hit], text: str, starts) -> list[_Hit]:
        """Rule 3: a first name next to a last name of the same student, in either order."""
        by_start: dict[int, list[_Hit]] = defaultdict(list)
        for hit in hits:
            if hit.closes:
                by_start[hit.start].append(hit)
        found = []
        for first in hits:
            if not first.opens:
                continue
            for gap in range(MAX_GAP + 1):
                between = norm[first.stop : first.stop + gap]
                if between.strip(SEPARATORS):
                    break
                for second in by_start.get(first.stop + gap, ()):
                    if gap == 0 and not text[starts[second.start]].isupper():
                        continue  # "SiobhanONeill", but not any two names run together
                    if self._same_student(first, second, text, starts):
                        found += [first, second]
        return found

    def _same_student(self, one: _Hit, two: _Hit, text: str, starts) -> bool:
        for hit in (one, two):  # "al" and "an" are words: a two-letter name needs its capital
            if len(hit.token) <= 2 and not text[starts[hit.start]].isupper():
                return False
        firsts = (self.first_of, self.first_part_of)
        lasts = (self.last_of, self.last_part_of)
        for a, b in ((firsts, lasts), (lasts, firsts)):
            ones = set().union(*(index.get(one.token, ()) for index in a))
            if ones and not ones.isdisjoint(
                set().union(*(index.get(two.token, ()) for index in b))
            ):
                return True
        return False


def _starred(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with each span (overlapping ones merged) replaced by the mask, and nothing else
    changed."""
    if not spans:
        return text
    merged: list[list[int]] = []
    for start, stop in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], stop)
        else:
            merged.append([start, stop])
    out, at = [], 0
    for start, stop in merged:
        out += [text[at:start], MASK]
        at = stop
    out.append(text[at:])
    return "".join(out)


class NamesShown:
    """How one request shows students (Hide Names): the one presenter views, template tags and
    downloads go through, so that no page decides masking on its own. `NamesShown.of(request)`
    gives the request's own, made once (the school's names load once a page, when a text is
    first masked)."""

    def __init__(self, *, hidden: bool, school=None):
        self.hidden = hidden
        self.school = school
        self._school_names: SchoolNames | None = None

    @classmethod
    def of(cls, request) -> "NamesShown":
        made = getattr(request, "_names_shown", None)
        if made is None:
            made = cls(hidden=_names_hidden(request), school=getattr(request, "school", None))
            request._names_shown = made
        return made

    def name(self, student) -> str:
        return display_name(student, hidden=self.hidden)

    def label(self, student) -> str:
        """ "Hannah Greenwood (1B)", or "***** ***** (1B)" under Hide Names."""
        return display_label(student, hidden=self.hidden)

    def text(self, text: str, about) -> str:
        """Free text (incident and action text, reasons, file names) about the students `about`,
        with their names and the school's full names starred under Hide Names."""
        return self.texts_about(about)(text)

    file_name = text

    def texts_about(self, about):
        """A function giving each text about the students `about` as this request shows it."""
        if not self.hidden:
            return lambda text: text
        if self._school_names is None:
            self._school_names = SchoolNames.of(self.school)
        school_names, students = self._school_names, list(about)
        return lambda text: school_names.mask(text, students)

    def column(self, value, *, is_name: bool):
        """A table cell's value: a student's name column shows stars under Hide Names."""
        return MASK if self.hidden and is_name else value

    def date_of_birth(self, student, format_: str) -> str:
        """A student's date of birth in the `date` filter's `format_`, or "Hidden"."""
        return "Hidden" if self.hidden else date_filter(student.date_of_birth, format_)

    def searched_for(self, query: str) -> str:
        """What a list says it matched: the words searched for (which may be a child's name), or
        under Hide Names only that there was a search; nothing when there was none."""
        if not query:
            return ""
        return "matching your search" if self.hidden else f"matching “{query}”"
