from django.apps import AppConfig


class ReportPagesConfig(AppConfig):
    name = "kestrel.report_pages"
    verbose_name = "Reports' pages"
