from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "kestrel.exports"
    verbose_name = "Whole-file exports"
