from django.apps import AppConfig


class AuditPagesConfig(AppConfig):
    """The Audit trail pages: what a student's records went through and what a colleague has
    viewed, read from the records `kestrel.audit` keeps."""

    name = "kestrel.audit_pages"
    label = "audit_pages"

    def ready(self):
        from kestrel.audit_pages import policies  # noqa: F401  (registers the kind "staff")
