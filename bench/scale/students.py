"""Each school's students over ten years: the cohorts on roll now and those who have left, with
UPNs from the schools where they started. Each student has a window of time, while they were at
the school, for their incidents."""

import datetime

from bench.scale.draws import share
from bench.scale.texts import PRONOUNS
from bench.scale.times import DAY, EPOCH, HOUR, MINUTE
from demo import school as demo_school
from kestrel.students.models import Student
from kestrel.students.search import search_text
from kestrel.students.upn import make_upn

YEARS = 10
PRIMARY = [(0, "R"), *[(year, str(year)) for year in range(1, 7)]]
SECONDARY = [(year, str(year)) for year in range(7, 14)]
GROUP_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
LA_CODE = 886


def add_students(seeder, total: int) -> None:
    students = seeder.table(Student)
    for position, school in enumerate(seeder.schools):
        _add_school_students(seeder, school, share(total, len(seeder.schools), position), students)
    seeder.write(seeder.batch())


def _add_school_students(seeder, school, size: int, students) -> None:
    rng, clock, first_names = seeder.rng, seeder.clock, seeder.first_names
    today, now = clock.today, clock.now_us
    groups = PRIMARY if school.index % 2 else SECONDARY
    span = len(groups)
    academic_year = today.year if today.month >= 9 else today.year - 1
    cohorts = YEARS + span - 1  # every cohort that was at the school in the last ten years
    horizon = now - YEARS * 365 * DAY
    created = clock.at(clock.recorded(now)) + seeder.suffix
    feeders = rng.sample(range(2000, 3000), 12)
    serials: dict[tuple[int, int], int] = {}
    epoch = EPOCH.date()
    for number in range(size):
        entered = academic_year - cohorts + 1 + number % cohorts  # the September they came
        years_in = academic_year - entered  # their year group now, were they still here
        sex, first = rng.choice(first_names)
        last = rng.choice(demo_school.SURNAMES)
        born = demo_school.birth_date(rng, groups[0][0] + years_in, today)
        while True:  # a UPN from the school where they started, unique at this school
            feeder = rng.choice(feeders)
            serial = serials.get((feeder, born.year + 4), 0) + 1
            if serial < 1000:
                break
            feeders.append(rng.randrange(3000, 4000))
        serials[feeder, born.year + 4] = serial
        on_roll = years_in < span
        if on_roll:
            year, label = groups[years_in]
            form, letters = number // cohorts // 30, len(GROUP_LETTERS)  # 30 to a form
            tutor_group = f"{label}{GROUP_LETTERS[form % letters]}"
            tutor_group += str(form // letters + 1) if form >= letters else ""
            left_on, end = None, now
        else:
            year, tutor_group = groups[-1][0], ""
            left = datetime.date(entered + span, 7, 20)
            left_on, end = left.isoformat(), (left - epoch).days * DAY + 15 * HOUR
        start = (datetime.date(entered, 9, 1) - epoch).days * DAY + 8 * HOUR
        student_id = students.next_id
        students.next_id += 1
        preferred = first.split("-")[0] if "-" in first and rng.random() < 0.04 else ""
        upn = make_upn(LA_CODE, feeder, born.year + 4, serial)
        # The search text the app keeps (`Student.save()` fills it the same way).
        searched = search_text(
            Student(
                legal_first_name=first,
                legal_last_name=last,
                preferred_first_name=preferred,
                upn=upn,
                tutor_group=tutor_group,
            )
        )
        students.rows.append(
            (
                student_id, school.id, first, last, preferred, "", born.isoformat(), upn,
                year, tutor_group, on_roll, left_on, created, searched,
            )
        )  # fmt: skip
        seeder.students[student_id] = (first, PRONOUNS[sex])
        school.student_ids.append(student_id)
        school.windows.append((max(start, horizon), min(end, now - MINUTE)))
        school.on_roll.append(on_roll)
