"""Trusts, and the people who work at more than one of a trust's schools.

A school may belong to a trust. A staff member's own school is their home; a `SchoolMembership`
gives them a place, with its own rights, at another school of the same trust; a `TrustRole` of
trust safeguarding lead lets them into every school of the trust, as a key holder at the
school's highest access level (their key still has to be unlocked there, with their second
factor). The operator keeps all of this (`manage.py trust`); each change is audited in the chain
of the school it concerns. These reads and writes cross schools on purpose: they run unscoped.
"""

from dataclasses import dataclass

from django.db import transaction

from kestrel.accounts.models import SchoolMembership, TrustRole, User
from kestrel.accounts.second_factor import has_second_factor
from kestrel.audit.services import record
from kestrel.schools.models import AccessLevel, School, Trust
from kestrel.schools.scope import scopes_disabled


class TrustError(ValueError):
    """What the operator asked for cannot be done (the message says why)."""


@dataclass(frozen=True)
class Rights:
    """What a person may do at one school."""

    school: School
    access_level: AccessLevel | None
    is_key_holder: bool
    is_school_admin: bool
    through: str  # "membership" or "trust_role"


# Reading ------------------------------------------------------------------------------------


def _home_trust_id(user: User) -> int | None:
    home = getattr(user, "home_rights", None)
    school = home["school"] if home is not None else user.school
    return school.trust_id


def rights_at(user: User, school_id: int) -> Rights | None:
    """The rights `user` holds at `school_id`, another school than their own: a membership there
    (in their own school's trust), else the trust safeguarding lead's; None if they hold none."""
    if school_id == user.home_school_id or not user.is_active:
        return None
    with scopes_disabled():
        membership = (
            SchoolMembership.objects.select_related("school", "access_level")
            .filter(user=user, school_id=school_id, school__trust_id=_home_trust_id(user))
            .exclude(school__trust=None)
            .first()
        )
        if membership is not None:
            return Rights(
                school=membership.school,
                access_level=membership.access_level,
                is_key_holder=membership.is_key_holder,
                is_school_admin=membership.is_school_admin,
                through="membership",
            )
        school = School.objects.filter(
            pk=school_id, trust__roles__user=user, trust__roles__role=TrustRole.SAFEGUARDING_LEAD
        ).first()
        if school is None:
            return None
        top = AccessLevel.objects.filter(school=school, is_active=True).order_by("-rank").first()
    return Rights(
        school=school,
        access_level=top,
        is_key_holder=True,
        is_school_admin=False,
        through="trust_role",
    )


def workplaces(user: User) -> list[School]:
    """Every school `user` may work at, their own first, then the others by name."""
    home = getattr(user, "home_rights", None)
    own = home["school"] if home is not None else user.school
    with scopes_disabled():
        others = School.objects.exclude(pk=own.pk).filter(
            pk__in=SchoolMembership.objects.filter(user=user, school__trust_id=own.trust_id).values(
                "school"
            )
        ) | School.objects.exclude(pk=own.pk).filter(
            trust__roles__user=user, trust__roles__role=TrustRole.SAFEGUARDING_LEAD
        )
        return [own, *others.distinct().order_by("name")]


def trusts_led_by(user: User) -> list[Trust]:
    """The trusts `user` is safeguarding lead of."""
    with scopes_disabled():
        return list(
            Trust.objects.filter(
                roles__user=user, roles__role=TrustRole.SAFEGUARDING_LEAD
            ).distinct()
        )


def is_trust_lead(user: User) -> bool:
    return TrustRole.objects.filter(user=user, role=TrustRole.SAFEGUARDING_LEAD).exists()


def schools_of(trust: Trust) -> list[School]:
    with scopes_disabled():
        return list(School.objects.filter(trust=trust).order_by("name"))


# Writing (the operator's command) -----------------------------------------------------------


def _refresh_switcher(users) -> None:
    """Keeps `User.works_at_other_schools` true exactly for those with somewhere else to go."""
    for user in users:
        several = len(workplaces(user)) > 1
        if several != user.works_at_other_schools:
            User.all_schools.filter(pk=user.pk).update(works_at_other_schools=several)
            user.works_at_other_schools = several


def _leads_of(trust: Trust) -> list[User]:
    return list(User.all_schools.filter(trust_roles__trust=trust).distinct())


@scopes_disabled()
def create_trust(*, name: str) -> Trust:
    name = name.strip()
    if not name:
        raise TrustError("A trust needs a name.")
    if Trust.objects.filter(name__iexact=name).exists():
        raise TrustError(f"There is a trust called {name} already.")
    return Trust.objects.create(name=name)


@scopes_disabled()
def add_school(*, trust: Trust, school: School) -> None:
    """Puts a standalone school in `trust`."""
    if school.trust_id is not None:
        raise TrustError(f"{school} is in a trust already: remove it from that one first.")
    with transaction.atomic():
        School.objects.filter(pk=school.pk).update(trust=trust)
        school.trust = trust
        record(action="trust.school_added", school=school, detail={"trust": trust.pk})
        _refresh_switcher(_leads_of(trust))


@scopes_disabled()
def remove_school(*, school: School) -> None:
    """Takes a school out of its trust; the memberships there end with it."""
    trust = school.trust
    if trust is None:
        raise TrustError(f"{school} is in no trust.")
    with transaction.atomic():
        members = list(User.all_schools.filter(memberships__school=school))
        SchoolMembership.objects.filter(school=school).delete()
        School.objects.filter(pk=school.pk).update(trust=None)
        school.trust = None
        record(action="trust.school_removed", school=school, detail={"trust": trust.pk})
        _refresh_switcher([*members, *_leads_of(trust)])


@scopes_disabled()
def add_member(
    *,
    user: User,
    school: School,
    access_level: AccessLevel | None = None,
    is_key_holder: bool = False,
    is_school_admin: bool = False,
) -> SchoolMembership:
    """Gives `user` a place at another school of their own school's trust."""
    if school.pk == user.school_id:
        raise TrustError(f"{school} is {user.email}'s own school.")
    if school.trust_id is None or school.trust_id != user.school.trust_id:
        raise TrustError(f"{school} is not in the trust of {user.email}'s school.")
    if access_level is not None and access_level.school_id != school.pk:
        raise TrustError(f"{access_level} is not an access level of {school}.")
    with transaction.atomic():
        membership, _ = SchoolMembership.objects.update_or_create(
            user=user,
            school=school,
            defaults={
                "access_level": access_level,
                "is_key_holder": is_key_holder,
                "is_school_admin": is_school_admin,
            },
        )
        record(
            action="trust.member_added",
            school=school,
            detail={
                "user": user.pk,
                "access_level": access_level.pk if access_level else None,
                "key_holder": is_key_holder,
                "school_admin": is_school_admin,
            },
        )
        _refresh_switcher([user])
    return membership


@scopes_disabled()
def remove_member(*, user: User, school: School) -> None:
    with transaction.atomic():
        deleted, _ = SchoolMembership.objects.filter(user=user, school=school).delete()
        if not deleted:
            raise TrustError(f"{user.email} has no place at {school}.")
        record(action="trust.member_removed", school=school, detail={"user": user.pk})
        _refresh_switcher([user])


@scopes_disabled()
def add_lead(*, trust: Trust, user: User) -> TrustRole:
    """Makes `user` the trust's safeguarding lead (one of them); they must have a second factor
    already: their key is unlocked with it in each school."""
    if not has_second_factor(user):
        raise TrustError(
            f"{user.email} has no second factor: they set one up (Account settings) first."
        )
    with transaction.atomic():
        role, _ = TrustRole.objects.get_or_create(
            user=user, trust=trust, role=TrustRole.SAFEGUARDING_LEAD
        )
        record(action="trust.lead_added", school=user.school, detail={"trust": trust.pk})
        _refresh_switcher([user])
    return role


@scopes_disabled()
def remove_lead(*, trust: Trust, user: User) -> None:
    with transaction.atomic():
        deleted, _ = TrustRole.objects.filter(user=user, trust=trust).delete()
        if not deleted:
            raise TrustError(f"{user.email} is not a safeguarding lead of {trust}.")
        record(action="trust.lead_removed", school=user.school, detail={"trust": trust.pk})
        _refresh_switcher([user])
