from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kestrel.audit"
    label = "audit"
