from django.apps import AppConfig


class TransferPagesConfig(AppConfig):
    name = "kestrel.transfer_pages"
    verbose_name = "Transfer pages"
