"""`manage.py bench --profile hide_names`: Hide Names over a large school's names, in-process.

Times what a page under Hide Names adds for one free text: building the school's automaton
(`SchoolNames`, once a process until the names change) and starring one text of 5,000
characters (an incident's length at most) against 2,000 pupils' names, the size of a trust's
largest secondary school. Pupils are the demo school's first names and surnames, mixed at random
(the same each run); the text mixes prose, curly quotes and apostrophes, the pupil's own names,
other pupils' full names and words that are also names. Needs no database.
"""

import random
import statistics
import time

from demo.school import SURNAMES, first_names
from kestrel.students.models import Student
from kestrel.students.names import SchoolNames, name_rows

PUPILS = 2000
CHARACTERS = 5000
BUILDS = 5
TEXTS = 200
PROSE = (
    "During break {own} was seen near the gates; {other} said that {first}’s dad will be "
    "collecting today. Mum rang the office an hour later and asked that ‘{first}’ is kept "
    "inside. The MD of the after-school club, Mrs {last}, was told. {upper} seemed calm, "
    "and rose to leave at 3:15; spoke with {other} about it. "
)


def pupils(rng: random.Random, count: int) -> list[Student]:
    given = [name for _, name in first_names()]
    return [
        Student(
            pk=pk,
            legal_first_name=rng.choice(given),
            legal_last_name=(
                f"{rng.choice(SURNAMES)}-{rng.choice(SURNAMES)}"
                if rng.random() < 0.15  # double-barrelled
                else rng.choice(SURNAMES)
            ),
            preferred_first_name=rng.choice(given) if rng.random() < 0.05 else "",
        )
        for pk in range(1, count + 1)
    ]


def text_about(rng: random.Random, own: Student, school: list[Student], length: int) -> str:
    parts: list[str] = []
    while sum(map(len, parts)) < length:
        other = rng.choice(school)
        parts.append(
            PROSE.format(
                own=own.name,
                first=own.first_name,
                last=own.last_name,
                upper=own.first_name.upper(),
                other=f"{other.first_name} {other.last_name}",
            )
        )
    return "".join(parts)[:length]


def profile_hide_names(
    stdout, *, pupils_count: int = PUPILS, characters: int = CHARACTERS, texts: int = TEXTS
):
    rng = random.Random(17)  # noqa: S311 - the same pupils each run, not a secret
    school = pupils(rng, pupils_count)
    rows = name_rows(school)
    builds = []
    for _ in range(BUILDS):
        started = time.perf_counter()
        names = SchoolNames(rows)
        builds.append(time.perf_counter() - started)
    own = school[0]
    samples = [text_about(rng, own, school, characters) for _ in range(10)]
    masked = names.mask(samples[0], [own])
    times = []
    for index in range(texts):
        text = samples[index % len(samples)]
        started = time.perf_counter()
        names.mask(text, [own])
        times.append(time.perf_counter() - started)
    stdout.write(
        f"Hide Names: {pupils_count} pupils ({len(names.tokens)} spellings), "
        f"texts of {characters} characters, in-process:"
    )
    stdout.write(f"  {statistics.median(builds) * 1000:.1f} ms to build the school's automaton")
    stdout.write(
        f"  {statistics.median(times) * 1000:.2f} ms per text (median of {texts}), "
        f"{sorted(times)[int(texts * 0.95)] * 1000:.2f} ms p95"
    )
    stdout.write(f"  {masked.count('*****')} names starred in the first text; it begins:")
    stdout.write(f"  {masked[:240]}")
