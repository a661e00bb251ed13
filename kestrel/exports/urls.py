from django.urls import path

from kestrel.exports import views

app_name = "exports"
urlpatterns = [
    path("students/<int:pk>/file/export/", views.export, name="export"),
    path("students/<int:pk>/file/export/download/", views.download, name="download"),
]
