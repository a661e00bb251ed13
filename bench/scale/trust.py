"""The trust's schools and staff, set up like the demo school (demo.school) through the
ORM: a few hundred rows. Each school keeps to hand what the generator needs for its rows."""

import itertools
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password

from bench.scale.draws import share
from bench.scale.texts import CATEGORY_WEIGHTS, KEY_HOLDER_TITLES, LESSONS, STAFF_TITLES
from demo import school as demo_school
from kestrel.accounts.models import User
from kestrel.alerts.models import AlertGroup
from kestrel.audit.chain import GENESIS
from kestrel.incidents.models import Category
from kestrel.schools.models import AccessLevel, Agency, School

SCHOOL_NAME = "Scale Academy {}"


def school_names(schools: int) -> list[str]:
    return [SCHOOL_NAME.format(number) for number in range(1, schools + 1)]


class SchoolExists(Exception):
    """A school already has one of the trust's names: the seed only ever adds new schools."""


def existing_school(schools: int) -> str | None:
    """The first of the trust's school names already in use, if any."""
    found = School.objects.filter(name__in=school_names(schools)).order_by("name").first()
    return found.name if found else None


@dataclass
class TrustSchool:
    """One school of the trust, with what the generator needs to hand for its rows."""

    index: int
    row: School
    id: int = 0
    levels: dict[str, AccessLevel] = field(default_factory=dict)
    categories: dict[int, Category] = field(default_factory=dict)
    picks: list[tuple[tuple[int, ...], int, str]] = field(default_factory=list)
    pick_weights: list[int] = field(default_factory=list)  # cumulative
    main_picks: list[int] = field(default_factory=list)
    agencies: dict[int, Agency] = field(default_factory=dict)
    agency_ids: list[int] = field(default_factory=list)
    reporters: list[int] = field(default_factory=list)  # repeated: some report far more
    key_holders: list[int] = field(default_factory=list)
    alertable: list[int] = field(default_factory=list)
    student_ids: list[int] = field(default_factory=list)
    windows: list[tuple[int, int]] = field(default_factory=list)  # when each was here
    on_roll: list[bool] = field(default_factory=list)
    chain: int = 0  # its audit chain (kestrel.audit.chain.chain_for), and the chain's tail
    seq: int = 0
    prev_hash: str = GENESIS


@dataclass(slots=True)
class StaffMember:
    """A member of staff as their rows and audit events name them."""

    name: str
    ip: str
    title_name: str  # "Mrs Patel", as colleagues write it


def set_up_schools(seeder, count: int, staff: int, password: str) -> None:
    password_hash = make_password(password)  # once: hashing is slow on purpose
    for index, name in enumerate(school_names(count)):
        row = School.objects.create(name=name)
        school = TrustSchool(index=index + 1, row=row, id=row.pk)
        _configure(school)
        _add_staff(seeder, school, share(staff, count, index), password_hash)
        seeder.schools.append(school)


def _configure(school: TrustSchool) -> None:
    """Access levels, categories and agencies as the demo school has them."""
    row = school.row
    levels = school.levels = {
        name: AccessLevel.objects.create(school=row, name=name, rank=rank, description=about)
        for name, rank, about in demo_school.ACCESS_LEVELS
    }
    named: dict[tuple[str, str], Category] = {}
    for position, (name, level, subcategories) in enumerate(demo_school.CATEGORIES, start=1):
        parent = named[name, ""] = Category.objects.create(
            school=row, name=name, access_level=levels[level], position=position
        )
        for sub_position, sub in enumerate(subcategories, start=1):
            named[name, sub] = Category.objects.create(
                school=row,
                name=sub,
                parent=parent,
                access_level=levels[level],
                position=sub_position,
            )
    school.categories = {category.pk: category for category in named.values()}
    weights = []
    for name, sub, weight in CATEGORY_WEIGHTS:
        chosen = [named[name, sub]]
        if sub:  # choosing a subcategory files the incident under its main category too
            chosen.append(named[name, ""])
        else:
            school.main_picks.append(len(school.picks))
        rank = max(category.access_level.rank for category in chosen)
        school.picks.append((tuple(category.pk for category in chosen), rank, name))
        weights.append(weight)
    school.pick_weights = list(itertools.accumulate(weights))
    agencies = Agency.objects.bulk_create(Agency(school=row, name=n) for n in demo_school.AGENCIES)
    school.agencies = {agency.pk: agency for agency in agencies}
    school.agency_ids = list(school.agencies)


def _add_staff(seeder, school: TrustSchool, size: int, password_hash: str) -> None:
    """One school administrator, about 5% key holders in the DSL team, the rest staff."""
    rng, levels, first_names = seeder.rng, school.levels, seeder.first_names
    key_holders = max(1, round(size * 0.05))
    used: set[tuple[str, str]] = set()
    users, sexes = [], []
    for number in range(1, size + 1):
        sex, first = rng.choice(first_names)
        last = rng.choice(demo_school.SURNAMES)
        while (first, last) in used:
            sex, first = rng.choice(first_names)
        used.add((first, last))
        if number == 1:
            title, level, key, admin = "School administrator", None, False, True
        elif number <= 1 + key_holders:
            title = KEY_HOLDER_TITLES[(number - 2) % len(KEY_HOLDER_TITLES)]
            level, key, admin = levels["DSL team"], True, False
        else:
            title = (
                rng.choice(STAFF_TITLES)
                if rng.random() < 0.4
                else f"Teacher of {rng.choice(LESSONS)}"
            )
            level, key, admin = levels["Staff"], False, False
        users.append(
            User(
                school=school.row,
                email=f"scale-{school.index}-{number}@example.org",
                first_name=first,
                last_name=last,
                job_title=title,
                access_level=level,
                is_key_holder=key,
                is_school_admin=admin,
                password=password_hash,
            )
        )
        sexes.append(sex)
    User.objects.bulk_create(users)
    for number, (user, sex) in enumerate(zip(users, sexes, strict=True), start=1):
        ip = f"10.{school.index % 256}.{number // 250}.{number % 250 + 1}"
        honorific = rng.choice(["Mrs", "Ms", "Miss"]) if sex == "F" else "Mr"
        seeder.people[user.pk] = StaffMember(
            name=user.full_name,
            ip=ip,
            title_name=f"{honorific} {user.last_name}",
        )
        if user.is_school_admin:
            continue
        school.alertable.append(user.pk)
        if user.is_key_holder:
            school.key_holders.append(user.pk)
        school.reporters.extend([user.pk] * rng.choice([1, 1, 1, 2, 3, 5]))
    _add_alert_groups(school, users)


def _add_alert_groups(school: TrustSchool, users: list[User]) -> None:
    dsl = [user for user in users if user.is_key_holder]
    teachers = [user for user in users if user.job_title.startswith("Teacher of")]
    support = [
        user
        for user in users
        if not (user.is_key_holder or user.is_school_admin or user in teachers)
    ]
    for name, about, members in [
        ("SLT", "Senior leadership team", dsl + teachers[:3]),
        ("Teachers", "Every teacher", teachers),
        ("DSL team", "Designated Safeguarding Lead and deputies", dsl),
        ("Pastoral team", "Heads of year, SENCO and family liaison", support[:6]),
        ("Support staff", "Teaching assistants and support staff", support),
    ]:
        group = AlertGroup.objects.create(school=school.row, name=name, description=about)
        group.members.set(members)
