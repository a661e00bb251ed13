from django.urls import path

from kestrel.key_facts import views

# Under students/ (kestrel/urls.py): a student's key facts, the front sheet of their case file.
app_name = "key_facts"
urlpatterns = [
    path("<int:pk>/key-facts/history/", views.history, name="history"),
    path("<int:pk>/key-facts/contacts/add/", views.add_contact, name="add_contact"),
    path(
        "<int:pk>/key-facts/contacts/<int:contact>/change/",
        views.edit_contact,
        name="edit_contact",
    ),
    path("<int:pk>/key-facts/contacts/<int:contact>/end/", views.end_contact, name="end_contact"),
    path("<int:pk>/key-facts/professionals/add/", views.add_professional, name="add_professional"),
    path(
        "<int:pk>/key-facts/professionals/<int:professional>/change/",
        views.edit_professional,
        name="edit_professional",
    ),
    path(
        "<int:pk>/key-facts/professionals/<int:professional>/end/",
        views.end_professional,
        name="end_professional",
    ),
    path("<int:pk>/key-facts/notes/", views.edit_notes, name="edit_notes"),
]
