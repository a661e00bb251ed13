from django.urls import path

from kestrel.incidents import views

app_name = "incidents"
urlpatterns = [
    path("add/", views.add_incident, name="add"),
    path("<int:pk>/", views.view_incident, name="view"),
    path("<int:pk>/actions/add/", views.add_action, name="add_action"),
]
