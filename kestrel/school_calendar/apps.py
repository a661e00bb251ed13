from django.apps import AppConfig


class SchoolCalendarConfig(AppConfig):
    """The school's calendar: its terms, half terms and INSET days, and the bank holidays of its
    part of the UK. "School days" everywhere (alert escalation, a referral's feedback, an
    Operation Encompass notification, a transfer's deadline) are counted from it."""

    name = "kestrel.school_calendar"
    label = "school_calendar"
