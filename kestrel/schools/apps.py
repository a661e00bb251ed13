from django.apps import AppConfig


class SchoolsConfig(AppConfig):
    name = "kestrel.schools"
    label = "schools"
