"""The demo school's case files: open cases on the Caseload, one referral awaiting overdue
feedback, a review due, a looked-after child without a virtual school head (warned about), a
closed case, and Hannah's file left for the guide's walk-through."""

import pytest

from demo.school import seed_demo_school
from kestrel.access.policies import Viewer
from kestrel.accounts.models import User
from kestrel.casefile import selectors
from kestrel.casefile.models import Case, CaseEvent
from kestrel.students.models import Student


@pytest.fixture
def demo(db):
    return seed_demo_school()


def test_the_demo_dsl_team_has_open_cases_a_referral_to_chase_and_a_review_due(demo):
    chloe = Viewer(user=User.objects.get(email="chloe.kelan@example.org"), key_unlocked=True)
    open_cases = selectors.caseload(chloe, selectors.CaseloadFilter())
    assert {case.student.name for case in open_cases} == {
        "Danielle Bradshaw",
        "Asif Hussain",
        "Zoë O'Brien",
    }
    (chased,) = selectors.awaiting_feedback(chloe)
    assert chased.student.legal_first_name == "Danielle"
    (due,) = selectors.reviews_due(chloe)
    assert due.student.legal_first_name == "Asif"
    zoe = Student.objects.get(legal_first_name="Zoë", legal_last_name="O'Brien")
    assert selectors.case_file(chloe, zoe).warnings
    assert Case.objects.filter(closed_on__isnull=False).count() == 1


def test_hannahs_case_file_is_left_for_the_walk_through(demo):
    hannah = Student.objects.get(legal_first_name="Hannah", legal_last_name="Greenwood")
    assert not Case.objects.filter(student=hannah).exists()
    assert not CaseEvent.objects.filter(student=hannah).exists()
