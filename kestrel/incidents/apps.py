from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "kestrel.incidents"
    label = "incidents"
