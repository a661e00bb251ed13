from django.urls import path

from kestrel.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("password-reset/", views.password_reset, name="reset"),
    path("password-reset/sent/", views.password_reset_sent, name="reset_sent"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="reset_confirm",
    ),
    path("account/", views.account_settings, name="settings"),
    path("account/password/", views.change_password, name="change_password"),
]
