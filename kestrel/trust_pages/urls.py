from django.urls import path

from kestrel.trust_pages import views

app_name = "trust_pages"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("switch/", views.switch_school, name="switch"),
]
