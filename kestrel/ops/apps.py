from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "kestrel.ops"
    label = "ops"
    verbose_name = "Running Kestrel"
