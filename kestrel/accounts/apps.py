from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kestrel.accounts"
    label = "accounts"
