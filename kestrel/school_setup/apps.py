from django.apps import AppConfig


class SchoolSetupConfig(AppConfig):
    """School set-up: the school's details, its staff, access levels, categories, agencies,
    alert groups and the rest of the lists the DSL and the school's administrators keep, and the
    emails that could not be delivered."""

    name = "kestrel.school_setup"
    label = "school_setup"
