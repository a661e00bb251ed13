from django.urls import path

from kestrel.library import views

app_name = "library"
urlpatterns = [path("", views.library, name="index")]
