"""The transfer pages. Each route keeps its URLs in its own module."""

from django.urls import path

from kestrel.transfer_pages import urls_kestrel, urls_link, urls_received, views

app_name = "transfer_pages"
urlpatterns = [
    path("transfers/", views.transfer_log, name="log"),
    path("transfers/<int:pk>/", views.transfer, name="transfer"),
    path("transfers/<int:pk>/destination/", views.destination, name="destination"),
    path("transfers/<int:pk>/prepare/", views.prepare, name="prepare"),
    path("transfers/<int:pk>/paper/", views.send_paper, name="send_paper"),
    path("transfers/<int:pk>/paper/receipt/", views.paper_receipt, name="paper_receipt"),
    path("transfers/<int:pk>/informed/", views.informed, name="informed"),
    path("transfers/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("transfers/<int:pk>/copy/", views.copy_done, name="copy_done"),
    path("students/<int:pk>/file/leaving/", views.mark_left, name="mark_left"),
    *urls_kestrel.urlpatterns,
    *urls_link.urlpatterns,
    *urls_received.urlpatterns,
]
