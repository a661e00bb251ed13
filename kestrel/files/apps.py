from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "kestrel.files"
    label = "files"
