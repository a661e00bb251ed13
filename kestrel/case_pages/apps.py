from django.apps import AppConfig


class CasePagesConfig(AppConfig):
    """The case file's pages: a student's page for key holders (front sheet, statuses, risk,
    referrals, review, then the chronology), recording statuses, referrals and decisions, and
    the DSL team's caseload and "Awaiting feedback" lists."""

    name = "kestrel.case_pages"
    label = "case_pages"
