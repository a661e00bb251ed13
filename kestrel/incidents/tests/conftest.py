"""Shared by the Add Incident tests: a school with the guide's students, categories and SLT."""

import pytest

from kestrel.testing.factories import (
    AgencyFactory,
    AlertGroupFactory,
    CategoryFactory,
    StudentFactory,
)


@pytest.fixture
def setup(school, levels, people):
    hannah = StudentFactory(
        school=school, legal_first_name="Hannah", legal_last_name="Greenwood", tutor_group="1B"
    )
    matthew = StudentFactory(
        school=school, legal_first_name="Matthew", legal_last_name="Greenwood", tutor_group="5B"
    )
    child_protection = CategoryFactory(
        school=school, name="Child Protection", access_level=levels.dsl
    )
    cause = CategoryFactory(
        school=school, name="Cause for Concern", parent=child_protection, access_level=levels.dsl
    )
    home = CategoryFactory(school=school, name="Home Issues", access_level=levels.staff)
    slt = AlertGroupFactory(school=school, name="SLT")
    slt.members.set([people.dsl])
    agency = AgencyFactory(school=school, name="Police")
    return {
        "hannah": hannah,
        "matthew": matthew,
        "child_protection": child_protection,
        "cause": cause,
        "home": home,
        "slt": slt,
        "agency": agency,
    }
