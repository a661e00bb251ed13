from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "kestrel.alerts"
    label = "alerts"
