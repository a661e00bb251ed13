from django.urls import path

from kestrel.access import views

app_name = "key"
urlpatterns = [
    path("", views.unlock, name="unlock"),
    path("lock/", views.lock, name="lock"),
]
