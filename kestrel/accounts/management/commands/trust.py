"""The installation's operator sets up trusts (there is no admin site):

manage.py trust create "Northern Schools Trust"
manage.py trust add-school "Northern Schools Trust" <school id>
manage.py trust remove-school <school id>
manage.py trust add-member <email> <school id> [--access-level NAME] [--key-holder] [--school-admin]
manage.py trust remove-member <email> <school id>
manage.py trust add-lead "Northern Schools Trust" <email>
manage.py trust remove-lead "Northern Schools Trust" <email>
manage.py trust list
"""

from django.core.management.base import BaseCommand, CommandError

from kestrel.accounts import trusts
from kestrel.accounts.emails import normalise
from kestrel.accounts.models import TrustRole, User
from kestrel.schools.models import AccessLevel, School, Trust
from kestrel.schools.scope import scopes_disabled


class Command(BaseCommand):
    help = "Sets up trusts, their schools, staff working at several schools, and trust leads."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("create").add_argument("trust")
        add_school = sub.add_parser("add-school")
        add_school.add_argument("trust")
        add_school.add_argument("school", type=int)
        sub.add_parser("remove-school").add_argument("school", type=int)
        add_member = sub.add_parser("add-member")
        add_member.add_argument("email")
        add_member.add_argument("school", type=int)
        add_member.add_argument("--access-level", default="")
        add_member.add_argument("--key-holder", action="store_true")
        add_member.add_argument("--school-admin", action="store_true")
        remove_member = sub.add_parser("remove-member")
        remove_member.add_argument("email")
        remove_member.add_argument("school", type=int)
        for name in ("add-lead", "remove-lead"):
            lead = sub.add_parser(name)
            lead.add_argument("trust")
            lead.add_argument("email")
        sub.add_parser("list")

    # Across schools on purpose: the operator serves the whole installation.
    @scopes_disabled()
    def handle(self, *args, action, **options):
        try:
            done = getattr(self, "_" + action.replace("-", "_"))(**options)
        except trusts.TrustError as error:
            raise CommandError(str(error)) from error
        if done:
            self.stdout.write(done)

    def _create(self, *, trust, **_):
        made = trusts.create_trust(name=trust)
        return f"Created {made} (id {made.pk})."

    def _add_school(self, *, trust, school, **_):
        found = _school(school)
        trusts.add_school(trust=_trust(trust), school=found)
        return f"{found} is now in {found.trust}."

    def _remove_school(self, *, school, **_):
        found = _school(school)
        trusts.remove_school(school=found)
        return f"{found} is in no trust now."

    def _add_member(self, *, email, school, access_level, key_holder, school_admin, **_):
        found = _school(school)
        level = None
        if access_level:
            level = AccessLevel.objects.filter(school=found, name__iexact=access_level).first()
            if level is None:
                raise CommandError(f"{found} has no access level called {access_level}.")
        trusts.add_member(
            user=_user(email),
            school=found,
            access_level=level,
            is_key_holder=key_holder,
            is_school_admin=school_admin,
        )
        return f"{email} may now work at {found}."

    def _remove_member(self, *, email, school, **_):
        found = _school(school)
        trusts.remove_member(user=_user(email), school=found)
        return f"{email} no longer works at {found}."

    def _add_lead(self, *, trust, email, **_):
        role = trusts.add_lead(trust=_trust(trust), user=_user(email))
        return f"{email} is now {role.get_role_display().lower()} of {role.trust}."

    def _remove_lead(self, *, trust, email, **_):
        trusts.remove_lead(trust=_trust(trust), user=_user(email))
        return f"{email} is no longer a safeguarding lead of {trust}."

    def _list(self, **_):
        lines = []
        for trust in Trust.objects.order_by("name"):
            lines.append(f"{trust} (id {trust.pk})")
            for school in trusts.schools_of(trust):
                lines.append(f"  school {school.pk}: {school}")
            for role in TrustRole.objects.filter(trust=trust).select_related("user"):
                lines.append(f"  {role.get_role_display().lower()}: {role.user.email}")
        return "\n".join(lines) or "No trusts yet."


def _trust(name: str) -> Trust:
    found = Trust.objects.filter(name__iexact=name.strip()).first()
    if found is None:
        raise CommandError(f"There is no trust called {name}.")
    return found


def _school(pk: int) -> School:
    found = School.objects.select_related("trust").filter(pk=pk).first()
    if found is None:
        raise CommandError(f"There is no school with id {pk}.")
    return found


def _user(email: str) -> User:
    found = User.all_schools.select_related("school").filter(email=normalise(email)).first()
    if found is None:
        raise CommandError(f"There is no staff member with the address {email}.")
    return found
