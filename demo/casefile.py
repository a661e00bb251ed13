"""The demo school's case files: a few children the DSL team is working with, so that Caseload,
"Awaiting feedback" and a child's case file show what they are for. Hannah Greenwood's file is
left empty: the guide's walk-through (and its browser test) starts it. Everything is written
through the case file's services, as a DSL would, with dates in the past."""

import datetime

from kestrel.accounts.models import User
from kestrel.casefile import services
from kestrel.schools.models import School
from kestrel.students.models import Student


def seed_case_files(school: School, today: datetime.date) -> None:
    """Three open cases: Danielle (Early Help, risk Medium, feedback from early help overdue),
    Asif (Child in Need, a review due), Zoë (Looked After, no virtual school head recorded yet),
    and one closed case (Noor-Ul-Ain: early help stepped down)."""
    staff = {user.email.split("@")[0]: user for user in User.objects.filter(school=school)}
    chloe, daniel = staff["chloe.kelan"], staff["daniel.fitzgerald"]
    named = {"Danielle": "Bradshaw", "Asif": "Hussain", "Zoë": "O'Brien", "Noor-Ul-Ain": "Rahman"}
    students = {
        first: Student.objects.get(school=school, legal_first_name=first, legal_last_name=last)
        for first, last in named.items()
    }

    def ago(days: int) -> datetime.date:
        return today - datetime.timedelta(days=days)

    danielle = students["Danielle"]
    services.start_status(
        actor=chloe,
        student=danielle,
        kind="early_help",
        started_on=ago(24),
        note="Early help assessment agreed with mum; family support worker allocated.",
    )
    services.set_risk(
        actor=chloe,
        student=danielle,
        level="Medium",
        reason="Food poverty at home; mum engaging with early help.",
        set_on=ago(24),
    )
    services.make_referral(
        actor=chloe,
        student=danielle,
        target="early_help",
        to_label="Early help",
        made_on=ago(10),
        made_by=chloe,
        reason="Request for a food bank voucher and a holiday activities place.",
        feedback_due_on=ago(3),
        reference="EH-55102",
    )
    services.record_decision(
        actor=chloe,
        student=danielle,
        kind="support",
        what="Breakfast club place from Monday; class teacher to check in each morning.",
        reason="Danielle has come in hungry three mornings running.",
        decided_on=ago(4),
    )

    asif = students["Asif"]
    services.start_status(actor=daniel, student=asif, kind="child_in_need", started_on=ago(60))
    services.set_risk(
        actor=daniel,
        student=asif,
        level="Low",
        reason="Child in Need plan in place for his care needs; no safeguarding concerns.",
        set_on=ago(60),
    )
    case = services.open_case_for(actor=daniel, student=asif, on=ago(60))
    services.sign_off_review(
        actor=daniel,
        case=case,
        reviewed_on=ago(32),
        note="CIN review meeting attended; plan continues. Support plan to be updated.",
        next_review_on=ago(2),
    )
    services.record_sharing(
        actor=daniel,
        student=asif,
        shared=True,
        what="Attendance and the support plan's progress.",
        with_whom="Asif's social worker",
        why="For the Child in Need review.",
        basis="public_task",
        on=ago(33),
    )

    zoe = students["Zoë"]
    services.start_status(
        actor=chloe,
        student=zoe,
        kind="looked_after",
        legal_status="Care order (section 31)",
        started_on=ago(14),
        note="Placed with foster carers in the village; same school.",
    )
    services.set_risk(
        actor=chloe,
        student=zoe,
        level="Medium",
        reason="New placement; settling in.",
        set_on=ago(14),
    )

    noor = students["Noor-Ul-Ain"]
    status = services.start_status(
        actor=chloe, student=noor, kind="early_help", started_on=ago(120)
    )
    services.end_status(
        actor=chloe, status=status, ended_on=ago(20), note="Goals met at the closing review."
    )
    services.close_case(
        actor=chloe,
        case=services.open_case_for(actor=chloe, student=noor, on=ago(120)),
        closed_on=ago(20),
        outcome="stepped_down",
        outcome_text="Early help goals met; family confident to ask for help again.",
    )
