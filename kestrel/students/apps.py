from django.apps import AppConfig


class StudentsConfig(AppConfig):
    name = "kestrel.students"
    label = "students"

    def ready(self):
        from kestrel.students import policies  # noqa: F401  (registers its kinds' policies)
