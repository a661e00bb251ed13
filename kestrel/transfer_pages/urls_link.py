"""URLs of the link part of the transfer pages (included by urls.py): the sender's, at the
transfer, and the receiving DSL's, public, at the link's token."""

from django.urls import path

from kestrel.transfer_pages import link_route as views

urlpatterns = [
    path("transfers/<int:pk>/link/", views.send_link, name="link_send"),
    path("transfers/<int:pk>/link/withdraw/", views.withdraw_link, name="link_withdraw"),
    path("receive/<token>/", views.link_open, name="link_open"),
    path("receive/<token>/code/", views.link_email_code, name="link_email_code"),
    path("receive/<token>/code/enter/", views.link_code, name="link_code"),
    path("receive/<token>/name/", views.link_name, name="link_name"),
    path("receive/<token>/file/", views.link_file, name="link_file"),
    path("receive/<token>/download/", views.link_download, name="link_download"),
    path("receive/<token>/download/files/", views.link_download_files, name="link_download_files"),
    path("receive/<token>/confirm/", views.link_confirm, name="link_confirm"),
]
