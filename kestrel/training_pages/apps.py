from django.apps import AppConfig


class TrainingPagesConfig(AppConfig):
    name = "kestrel.training_pages"
    verbose_name = "Staff training pages"
