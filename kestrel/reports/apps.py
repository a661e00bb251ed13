from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "kestrel.reports"
    verbose_name = "Reports"
