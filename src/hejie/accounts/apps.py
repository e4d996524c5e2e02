from django.apps import AppConfig
from django.db.models.signals import pre_save


class AccountsConfig(AppConfig):
    name = "hejie.accounts"
    label = "accounts"

    def ready(self) -> None:
        from hejie.accounts.privacy import refuse_redacted

        # A row whose personal data was masked for a reader is never saved (any model).
        pre_save.connect(refuse_redacted, dispatch_uid="hejie.accounts.privacy.refuse_redacted")
