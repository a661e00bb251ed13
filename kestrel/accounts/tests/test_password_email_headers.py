"""A school name with a line break cannot break the password email (issue 17, item 16)."""

from django.core import mail

from kestrel.accounts.tasks import send_password_reset


def test_a_line_break_in_the_school_name_does_not_break_the_password_email(people, school):
    school.name = "Ashdown\r\nBcc: someone@example.org"
    school.save()
    send_password_reset.call(people.teacher.email)
    (message,) = mail.outbox
    assert message.subject == "Kestrel password reset for Ashdown Bcc: someone@example.org"
    assert message.recipients() == [people.teacher.email]
