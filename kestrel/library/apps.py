from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "kestrel.library"
    label = "library"
