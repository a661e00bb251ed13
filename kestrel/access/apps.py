from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "kestrel.access"
    label = "access"
