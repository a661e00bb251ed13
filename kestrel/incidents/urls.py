from django.urls import path

from kestrel.incidents.views import actions, add, correct, encompass, view

app_name = "incidents"
urlpatterns = [
    path("add/", add.add_incident, name="add"),
    path("drafts/save/", add.save_draft, name="draft_save"),
    path("drafts/discard/", add.discard_draft, name="draft_discard"),
    path("<int:pk>/", view.view_incident, name="view"),
    path("<int:pk>/actions/add/", actions.add_action, name="add_action"),
    path("<int:pk>/correct/", correct.correct_incident, name="correct"),
    path(
        "<int:pk>/encompass/acknowledge/",
        encompass.acknowledge,
        name="encompass_acknowledge",
    ),
]
