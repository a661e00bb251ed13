from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "kestrel.training"
    verbose_name = "Staff training"
