from django.urls import path

from kestrel.incidents import views

app_name = "incidents"
urlpatterns = [
    path("add/", views.add_incident, name="add"),
    path("drafts/save/", views.save_draft, name="draft_save"),
    path("drafts/discard/", views.discard_draft, name="draft_discard"),
    path("<int:pk>/", views.view_incident, name="view"),
    path("<int:pk>/actions/add/", views.add_action, name="add_action"),
    path("<int:pk>/correct/", views.correct_incident, name="correct"),
]
