"""URLs of the received part of the transfer pages (included by urls.py): files sent to this
school from another school on Kestrel."""

from django.urls import path

from kestrel.transfer_pages import received_views as views

urlpatterns = [
    path("transfers/received/", views.received_list, name="received_list"),
    path("transfers/received/<int:pk>/", views.received, name="received"),
    path("transfers/received/<int:pk>/match/", views.received_match, name="received_match"),
    path("transfers/received/<int:pk>/accept/", views.received_accept, name="received_accept"),
    path("transfers/received/<int:pk>/review/", views.received_review, name="received_review"),
    path("transfers/received/<int:pk>/refuse/", views.received_refuse, name="received_refuse"),
    path(
        "transfers/received/<int:pk>/download/",
        views.received_download,
        name="received_download",
    ),
]
