"""factory_boy factories for Kestrel's models. Each builds a valid row in a school of its own."""

import datetime

import factory
from factory.django import DjangoModelFactory

from kestrel.accounts.models import User
from kestrel.alerts.models import AlertGroup
from kestrel.incidents.models import Category
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
