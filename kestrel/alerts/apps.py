from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "kestrel.alerts"
    label = "alerts"

    def ready(self):
        from kestrel.alerts import policies  # noqa: F401  (registers its kinds' policies)
