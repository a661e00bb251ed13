from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "kestrel.library"
    label = "library"

    def ready(self):
        from kestrel.library import policies  # noqa: F401  (registers its kinds' policies)
