from django.apps import AppConfig


class AccountPagesConfig(AppConfig):
    """The pages where staff sign in and keep their own account: sign in and out, the second
    factor (authenticator, passkeys, backup codes), password reset and change, "Confirm it is
    you", and the password strength meter. Built on `kestrel.accounts` (who staff are, their
    sessions and factors) and `kestrel.access` (who may open which page)."""

    name = "kestrel.account_pages"
    label = "account_pages"
