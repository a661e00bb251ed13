"""factory_boy factories for Kestrel's models. Each builds a valid row in a school of its own."""

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from kestrel.accounts.models import User
from kestrel.alerts.models import Alert, AlertGroup
from kestrel.incidents.models import Action, Category, Incident, LinkedStudent, snapshot_of
from kestrel.schools.models import AccessLevel, Agency, School
from kestrel.students.models import Student
from kestrel.students.upn import make_upn

PASSWORD = "correct horse battery staple"


class SchoolFactory(DjangoModelFactory):
    class Meta:
        model = School

    name = factory.Sequence(lambda n: f"Test School {n}")


class AccessLevelFactory(DjangoModelFactory):
    class Meta:
        model = AccessLevel

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Level {n}")
    rank = factory.Sequence(lambda n: n + 1)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    school = factory.SubFactory(SchoolFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"staff{n}@example.org")
    job_title = "Class teacher"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class StudentFactory(DjangoModelFactory):
    class Meta:
        model = Student

    school = factory.SubFactory(SchoolFactory)
    legal_first_name = factory.Faker("first_name")
    legal_last_name = factory.Faker("last_name")
    date_of_birth = datetime.date(2017, 3, 27)
    upn = factory.Sequence(lambda n: make_upn(886, 2417, 21, n % 1000))
    year_group = 3
    tutor_group = "3A"


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Category {n}")
    access_level = factory.SubFactory(AccessLevelFactory, school=factory.SelfAttribute("..school"))


class AlertGroupFactory(DjangoModelFactory):
    class Meta:
        model = AlertGroup

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Group {n}")


class AgencyFactory(DjangoModelFactory):
    class Meta:
        model = Agency

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Agency {n}")


class IncidentFactory(DjangoModelFactory):
    """An incident about a student, recorded now by a colleague at the student's school.

    Pass `categories=[...]`; `required_rank` is then fixed from them as recording does (the
    highest rank among their access levels). With none given it is filed under a category at
    the school's lowest access level.
    """

    class Meta:
        model = Incident
        skip_postgeneration_save = True

    student = factory.SubFactory(StudentFactory)
    school = factory.SelfAttribute("student.school")
    reporter = factory.SubFactory(UserFactory, school=factory.SelfAttribute("..school"))
    text = "Said something at lunch that worried the teacher on duty."
    occurred_at = factory.LazyFunction(timezone.now)
    recorded_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        if not create:
            return
        categories = list(extracted) if extracted is not None else [_lowest_category(self.school)]
        self.categories.set(categories)
        self.required_rank = max((category.access_level.rank for category in categories), default=0)
        self.snapshot = snapshot_of(categories=categories)
        self.save(update_fields=["required_rank", "snapshot"])


def _lowest_category(school) -> Category:
    level = AccessLevel.objects.filter(school=school).order_by("rank").first()
    return CategoryFactory(school=school, access_level=level or AccessLevelFactory(school=school))


class LinkedStudentFactory(DjangoModelFactory):
    class Meta:
        model = LinkedStudent

    incident = factory.SubFactory(IncidentFactory)
    student = factory.SubFactory(StudentFactory, school=factory.SelfAttribute("..incident.school"))


class ActionFactory(DjangoModelFactory):
    class Meta:
        model = Action

    incident = factory.SubFactory(IncidentFactory)
    school = factory.SelfAttribute("incident.school")
    author = factory.SelfAttribute("incident.reporter")
    text = "Spoke to the parent at pick-up."
    occurred_at = factory.LazyFunction(timezone.now)
    recorded_at = factory.LazyFunction(timezone.now)


class AlertFactory(DjangoModelFactory):
    """An unread alert to a colleague about an incident (or, with `action`, an action on it)."""

    class Meta:
        model = Alert

    incident = factory.SubFactory(IncidentFactory)
    school = factory.SelfAttribute("incident.school")
    recipient = factory.SubFactory(UserFactory, school=factory.SelfAttribute("..school"))
    sender = factory.SelfAttribute("incident.reporter")


class RequirementFactory(DjangoModelFactory):
    """A training requirement of everyone, renewed yearly, due within 30 days of joining."""

    class Meta:
        model = "training.Requirement"

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Safeguarding update {n}")
    renewal_months = 12
    induction_days = 30
    due_soon_days = 30


class TrainingRecordFactory(DjangoModelFactory):
    class Meta:
        model = "training.TrainingRecord"

    requirement = factory.SubFactory(RequirementFactory)
    school = factory.SelfAttribute("requirement.school")
    staff = factory.SubFactory(UserFactory, school=factory.SelfAttribute("..school"))
    course = factory.SelfAttribute("requirement.name")
    completed_on = factory.LazyFunction(timezone.localdate)
    recorded_by = factory.SelfAttribute("staff")
