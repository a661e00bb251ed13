"""The demo school's staff training log: KCSIE's requirements as a school would set them, when
each member of staff joined, and the training they did, so that Staff training shows some staff
overdue, some due soon and most up to date. Written through the training services, as the
school office would, with dates in the past; Chloe's DSL training has its certificate."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from kestrel.accounts.models import User
from kestrel.schools.models import School
from kestrel.training import services
from kestrel.training.models import AppliesTo, Requirement

# name, who, renewal (months, None for once), induction window, due-soon window, other names
REQUIREMENTS = [
    (
        "Safeguarding and child protection induction",
        AppliesTo.EVERYONE,
        None,
        5,
        5,
        "Safeguarding induction",
    ),
    (
        "Safeguarding and child protection update",
        AppliesTo.EVERYONE,
        12,
        30,
        30,
        "Annual safeguarding update\nKCSIE update",
    ),
    ("Prevent awareness", AppliesTo.EVERYONE, 36, 60, 30, "Prevent duty training"),
    ("DSL training", AppliesTo.DSL_TEAM, 24, 0, 90, "Designated Safeguarding Lead training"),
    ("DSL knowledge refresh", AppliesTo.DSL_TEAM, 12, 30, 30, ""),
    ("Safer recruitment", AppliesTo.JOB_TITLES, 60, 90, 60, ""),
]
SAFER_RECRUITMENT_TITLES = "Headteacher\nDeputy Headteacher\nSchool business manager"
PROVIDERS = ["Local authority safeguarding team", "NSPCC Learning", "In school, by the DSL"]
# (email name, days ago) of the DSL team's own training: Chloe's DSL training is due soon (in
# 50 days), Margaret's overdue; Daniel's knowledge refresh overdue.
DSL_TRAINING = {"chloe.kelan": 680, "margaret.osei": 760, "daniel.fitzgerald": 250}
DSL_REFRESH = {"chloe.kelan": 200, "margaret.osei": 300, "daniel.fitzgerald": 380}
SAFER_RECRUITMENT = {"margaret.osei": 1000, "daniel.fitzgerald": 1900}
# Two new teaching assistants: one joined 2 days ago (induction due soon), one 45 days ago who
# has not done it yet (overdue).
NEW_STARTERS = {"bethan.rees": 2, "olu.babatunde": 45}
CERTIFICATE = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages "
    b"/Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def seed_training(school: School, today: datetime.date) -> None:
    office = User.objects.get(school=school, is_school_admin=True)
    requirements = {}
    for name, who, months, induction, soon, other in REQUIREMENTS:
        requirements[name] = Requirement.objects.create(
            school=school,
            name=name,
            applies_to=who,
            job_titles=SAFER_RECRUITMENT_TITLES if who == AppliesTo.JOB_TITLES else "",
            renewal_months=months,
            induction_days=induction,
            due_soon_days=soon,
            other_names=other,
        )

    def ago(days: int) -> datetime.date:
        return today - datetime.timedelta(days=days)

    def done(person, requirement, days, n=0, certificate=None) -> None:
        services.record_training(
            actor=office,
            staff=person,
            requirement=requirements[requirement],
            course="",
            completed_on=ago(days),
            provider=PROVIDERS[n % len(PROVIDERS)],
            certificate=certificate,
        )

    staff = list(User.objects.filter(school=school).order_by("pk"))
    for n, person in enumerate(staff):
        key = person.email.split("@")[0]
        if key in NEW_STARTERS:
            services.set_joining_date(actor=office, staff=person, joined_on=ago(NEW_STARTERS[key]))
            continue
        joined = ago(365 * (1 + n % 7) + n * 11)
        services.set_joining_date(actor=office, staff=person, joined_on=joined)
        done(person, "Safeguarding and child protection induction", (today - joined).days - 3, n)
        # Spread from 1 to 14 months ago: past 12 months is overdue, 11 to 12 due soon.
        done(person, "Safeguarding and child protection update", 30 + (n * 37) % 400, n)
        if n % 4:
            done(person, "Prevent awareness", 100 + (n * 53) % 1150, n)
    by_key = {person.email.split("@")[0]: person for person in staff}
    for key, days in DSL_TRAINING.items():
        certificate = (
            SimpleUploadedFile("DSL training certificate.pdf", CERTIFICATE)
            if key == "chloe.kelan"
            else None
        )
        done(by_key[key], "DSL training", days, 0, certificate)
    for key, days in DSL_REFRESH.items():
        done(by_key[key], "DSL knowledge refresh", days, 2)
    for key, days in SAFER_RECRUITMENT.items():
        done(by_key[key], "Safer recruitment", days, 0)
