"""Reading the training log for a page, a report or the reminder round. Every list is built
from one `Compliance`, read in a fixed number of queries however many staff the school has."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Max, Q
from django.utils import timezone

from kestrel.accounts.models import User
from kestrel.alerts.models import AlertGroup
from kestrel.training.due import DONE, DUE_SOON, OVERDUE, UP_TO_DATE, Standing, standing
from kestrel.training.models import (
    AppliesTo,
    Requirement,
    TrainingImport,
    TrainingRecord,
    course_key,
)

STATES = (OVERDUE, DUE_SOON, UP_TO_DATE, DONE)


def joined_on(staff: User) -> datetime.date:
    """The day they joined the school: as recorded, else the day their account was made."""
    joining = getattr(staff, "joining_date", None)  # select_related: no query either way
    if joining is not None:
        return joining.joined_on
    return timezone.localdate(staff.date_joined)


def applies(requirement: Requirement, staff: User, groups: dict[int, set[int]]) -> bool:
    """Whether the requirement is one this member of staff must meet."""
    if requirement.applies_to == AppliesTo.EVERYONE:
        return True
    if requirement.applies_to == AppliesTo.DSL_TEAM:
        return staff.is_key_holder
    if requirement.applies_to == AppliesTo.JOB_TITLES:
        title = staff.job_title.casefold()
        return any(words in title for words in requirement.title_words())
    if requirement.applies_to == AppliesTo.ALERT_GROUP:
        return staff.pk in groups.get(requirement.alert_group_id, set())
    return False


@dataclass
class Tally:
    overdue: int = 0
    due_soon: int = 0
    up_to_date: int = 0
    done: int = 0

    def add(self, state: str) -> None:
        setattr(self, state, getattr(self, state) + 1)

    @property
    def needed(self) -> int:
        return self.overdue + self.due_soon + self.up_to_date + self.done


@dataclass
class RequirementSummary:
    requirement: Requirement
    tally: Tally = field(default_factory=Tally)


@dataclass
class StaffSummary:
    staff: User
    standings: list[Standing] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)


@dataclass
class Compliance:
    """Every active member of staff against every requirement in use that applies to them."""

    today: datetime.date
    requirements: list[Requirement]
    staff: list[User]
    standings: list[Standing]

    def in_state(self, state: str) -> list[Standing]:
        rows = [s for s in self.standings if s.state == state]
        return sorted(rows, key=lambda s: (s.due_on, s.staff.last_name, s.staff.first_name))

    def overdue(self) -> list[Standing]:
        return self.in_state(OVERDUE)

    def due_soon(self) -> list[Standing]:
        return self.in_state(DUE_SOON)

    def tally(self) -> Tally:
        tally = Tally()
        for row in self.standings:
            tally.add(row.state)
        return tally

    def by_requirement(self) -> list[RequirementSummary]:
        summaries = {r.pk: RequirementSummary(r) for r in self.requirements}
        for row in self.standings:
            summaries[row.requirement.pk].tally.add(row.state)
        return list(summaries.values())

    def by_staff(self) -> list[StaffSummary]:
        summaries = {s.pk: StaffSummary(s) for s in self.staff}
        for row in self.standings:
            summary = summaries[row.staff.pk]
            summary.standings.append(row)
            summary.tally.add(row.state)
        return list(summaries.values())


def requirements_in_use(school) -> list[Requirement]:
    return list(
        Requirement.objects.filter(school=school, is_active=True).select_related("alert_group")
    )


def compliance(school, *, today: datetime.date | None = None, staff_ids=None) -> Compliance:
    """The school's training standings today: four queries (three with no alert group in use),
    whatever the number of staff. `staff_ids` narrows it to some staff."""
    today = today or timezone.localdate()
    requirements = requirements_in_use(school)
    people = User.objects.filter(school=school, is_active=True).select_related("joining_date")
    done = TrainingRecord.objects.filter(
        school=school, removed_at__isnull=True, requirement__is_active=True
    )
    if staff_ids is not None:
        people = people.filter(pk__in=staff_ids)
        done = done.filter(staff_id__in=staff_ids)
    staff = list(people)
    last = {
        (row["staff_id"], row["requirement_id"]): row["last"]
        for row in done.values("staff_id", "requirement_id").annotate(last=Max("completed_on"))
    }
    groups = _group_members({r.alert_group_id for r in requirements if r.alert_group_id})
    standings = [
        standing(
            person,
            requirement,
            last_done=last.get((person.pk, requirement.pk)),
            joined_on=joined_on(person),
            today=today,
        )
        for person in staff
        for requirement in requirements
        if applies(requirement, person, groups)
    ]
    return Compliance(today=today, requirements=requirements, staff=staff, standings=standings)


def _group_members(group_ids: set[int]) -> dict[int, set[int]]:
    if not group_ids:
        return {}
    members: dict[int, set[int]] = {}
    through = AlertGroup.members.through
    for group_id, user_id in through.objects.filter(alertgroup_id__in=group_ids).values_list(
        "alertgroup_id", "user_id"
    ):
        members.setdefault(group_id, set()).add(user_id)
    return members


def school_staff(school):
    """Everyone of the school, deactivated too (their training history stays readable)."""
    return User.objects.filter(school=school).select_related("joining_date")


def records_of(staff: User):
    """A member of staff's training records, newest first, removed ones included."""
    return TrainingRecord.objects.filter(staff=staff).select_related(
        "requirement", "certificate", "recorded_by", "removed_by", "imported_by"
    )


def visible_records(user, *, manages: bool, with_certificate: bool = False):
    """The training records `user` may open: every record of their school for the
    administrator and the DSL team, their own otherwise (removed ones only for a certificate)."""
    rows = TrainingRecord.objects.filter(school_id=user.school_id).select_related(
        "certificate", "staff"
    )
    if with_certificate:
        rows = rows.filter(certificate__isnull=False)
    else:
        rows = rows.filter(removed_at__isnull=True)
    return rows if manages else rows.filter(staff=user)


def own_training(user) -> tuple[list[Standing], list[TrainingRecord]]:
    """What Account Settings shows a member of staff of their own training."""
    standings = compliance(user.school, staff_ids=[user.pk]).standings
    records = list(records_of(user).filter(removed_at__isnull=True))
    return standings, records


def imports(school):
    return TrainingImport.objects.filter(school=school).select_related("uploaded_by")


def requirement_choices(school) -> list[Requirement]:
    return list(Requirement.objects.filter(school=school, is_active=True).order_by("name"))


def requirement_matcher(school) -> dict[str, Requirement]:
    """Course name as compared -> the requirement in use it counts as (its name or other
    names)."""
    return {
        course_key(name): requirement
        for requirement in Requirement.objects.filter(school=school, is_active=True)
        for name in requirement.names()
    }


def existing_records(school, staff_ids) -> set[tuple[int, str, datetime.date]]:
    """(staff, course as compared, date) of the records these staff have: an import adds no
    record twice."""
    rows = TrainingRecord.objects.filter(
        Q(school=school), Q(staff_id__in=staff_ids), removed_at__isnull=True
    ).values_list("staff_id", "course", "completed_on")
    return {(staff_id, course_key(course), day) for staff_id, course, day in rows}
