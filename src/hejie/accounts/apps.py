from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "hejie.accounts"
    label = "accounts"
