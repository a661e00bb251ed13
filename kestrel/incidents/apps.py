from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "kestrel.incidents"
    label = "incidents"

    def ready(self):
        from kestrel.incidents import policies  # noqa: F401  (registers its kinds' policies)
