from django.urls import path

from kestrel.library import views

app_name = "library"
urlpatterns = [
    path("", views.library, name="index"),
    path("publish/", views.publish, name="publish"),
    path("<int:pk>/", views.document, name="document"),
    path("<int:pk>/read/", views.confirm_read, name="confirm_read"),
    path("<int:pk>/versions/", views.add_version, name="add_version"),
    path("<int:pk>/versions/<int:number>/download/", views.download, name="download"),
]
