from django.urls import path

from kestrel.files import views

app_name = "files"
urlpatterns = [
    path("upload/", views.upload, name="upload"),
    path("<uuid:key>/", views.download, name="download"),
]
