from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "kestrel.transfers"
    verbose_name = "Transfers of a child's file"
