"""Staff administration: adding, deactivating, reactivating and resetting a second factor."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django_otp import devices_for_user

from kestrel.accounts.models import User
from kestrel.accounts.second_factor import new_backup_codes
from kestrel.audit.models import AuditEvent
from kestrel.testing.auth import authenticator_for, sign_in_fully


@pytest.fixture
def admin(people, signed_in):
    return signed_in(people.admin)


def staff_form(user, **changes):
    data = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "job_title": user.job_title,
        "access_level": user.access_level_id or "",
        "is_key_holder": "on" if user.is_key_holder else "",
        "is_school_admin": "on" if user.is_school_admin else "",
        "is_active": "on" if user.is_active else "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def test_a_new_member_of_staff_has_no_password_until_they_set_one(admin, school):
    admin.post(
        reverse("schools:add", args=["staff"]),
        {"first_name": "Ada", "last_name": "Okafor", "email": "ada.okafor@example.org"},
    )
    ada = User.objects.get(email="ada.okafor@example.org")
    assert ada.school == school
    assert not ada.has_usable_password()


def test_a_deactivated_teacher_is_signed_out_at_once_and_can_sign_in_again_when_reactivated(
    admin, people, password
):
    teacher_browser = sign_in_fully(Client(), people.teacher)
    assert teacher_browser.get("/dashboard/").status_code == 200

    response = admin.post(
        reverse("schools:edit", args=["staff", people.teacher.pk]),
        staff_form(people.teacher, is_active=""),
    )
    assert response.status_code == 302
    assert teacher_browser.get("/dashboard/").status_code == 302  # sent to sign in
    refused = Client().post("/login/", {"username": people.teacher.email, "password": password})
    assert refused.status_code == 200
    assert b"Enter a correct email address and password." in refused.content

    people.teacher.refresh_from_db()
    admin.post(
        reverse("schools:edit", args=["staff", people.teacher.pk]),
        staff_form(people.teacher, is_active="on"),
    )
    again = Client().post("/login/", {"username": people.teacher.email, "password": password})
    assert again.status_code == 302


def test_administrators_cannot_deactivate_themselves_or_drop_their_own_role(admin, people):
    response = admin.post(
        reverse("schools:edit", args=["staff", people.admin.pk]),
        staff_form(people.admin, is_active="", is_school_admin=""),
    )
    assert response.status_code == 200
    assert "You cannot deactivate your own account." in response.content.decode()
    assert "You cannot remove your own administrator role." in response.content.decode()
    people.admin.refresh_from_db()
    assert people.admin.is_active and people.admin.is_school_admin


def test_resetting_a_second_factor_removes_every_device_and_ends_their_sessions(admin, people):
    authenticator_for(people.teacher)
    new_backup_codes(people.teacher)
    teacher_browser = sign_in_fully(Client(), people.teacher)
    sessions_before = Session.objects.count()

    response = admin.post(reverse("schools:staff_reset_second_factor", args=[people.teacher.pk]))

    assert response.status_code == 302
    assert list(devices_for_user(people.teacher, confirmed=None)) == []
    assert teacher_browser.get("/dashboard/")["Location"].startswith("/login/")
    assert Session.objects.count() == sessions_before - 1
    event = AuditEvent.objects.get(action="second_factor.reset_by_administrator")
    assert (event.actor, event.object_id) == (people.admin, str(people.teacher.pk))


def test_another_schools_administrator_cannot_reset_a_second_factor_here(people, signed_in):
    authenticator_for(people.teacher)
    other = signed_in(people.other_admin)
    response = other.post(reverse("schools:staff_reset_second_factor", args=[people.teacher.pk]))
    assert response.status_code == 404
    assert len(list(devices_for_user(people.teacher))) == 1
