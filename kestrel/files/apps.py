from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "kestrel.files"
    label = "files"

    def ready(self):
        from kestrel.files import policies  # noqa: F401  (registers its kinds' policies)
