from django.urls import path

from kestrel.account_pages.views import account, reauth, signin, strength, two_factor

app_name = "accounts"
urlpatterns = [
    path("login/", signin.login, name="login"),
    path("login/verify/", signin.verify, name="verify"),
    path("login/verify/backup-code/", signin.verify_backup_code, name="verify_backup_code"),
    path(
        "login/verify/passkey/begin/", two_factor.passkey_verify_begin, name="passkey_verify_begin"
    ),
    path(
        "login/verify/passkey/complete/",
        two_factor.passkey_verify_complete,
        name="passkey_verify_complete",
    ),
    path("logout/", signin.logout, name="logout"),
    path("password-reset/", signin.password_reset, name="reset"),
    path("password-reset/sent/", signin.password_reset_sent, name="reset_sent"),
    path(
        "password-reset/<uidb64>/<token>/",
        signin.password_reset_confirm,
        name="reset_confirm",
    ),
    path("password-strength/", strength.password_strength, name="password_strength"),
    path("account/", account.account_settings, name="settings"),
    path("account/confirm/", reauth.confirm_password, name="reauthenticate"),
    path("account/confirm/code/", reauth.confirm_code, name="reauthenticate_code"),
    path(
        "account/confirm/passkey/begin/",
        reauth.confirm_passkey_begin,
        name="reauthenticate_passkey_begin",
    ),
    path(
        "account/confirm/passkey/complete/",
        reauth.confirm_passkey_complete,
        name="reauthenticate_passkey_complete",
    ),
    path("account/password/", account.change_password, name="change_password"),
    path("account/sign-out-everywhere/", account.sign_out_everywhere, name="sign_out_everywhere"),
    path("account/two-factor/setup/", two_factor.setup, name="two_factor_setup"),
    path(
        "account/two-factor/remove/", two_factor.authenticator_remove, name="authenticator_remove"
    ),
    path("account/backup-codes/", two_factor.backup_codes_new, name="backup_codes_new"),
    path(
        "account/backup-codes/replace/",
        two_factor.backup_codes_replace,
        name="backup_codes_replace",
    ),
    path(
        "account/passkeys/register/begin/",
        two_factor.passkey_register_begin,
        name="passkey_register_begin",
    ),
    path(
        "account/passkeys/register/complete/",
        two_factor.passkey_register_complete,
        name="passkey_register_complete",
    ),
    path("account/passkeys/<int:pk>/remove/", two_factor.passkey_remove, name="passkey_remove"),
]
