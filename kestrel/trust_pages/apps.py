from django.apps import AppConfig


class TrustPagesConfig(AppConfig):
    name = "kestrel.trust_pages"
    verbose_name = "Trust pages"
