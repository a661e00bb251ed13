from django.urls import path

from kestrel.school_setup import views

app_name = "schools"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("details/", views.details, name="details"),
    path("email-problems/", views.email_problems, name="email_problems"),
    path("terms/import/", views.import_term_dates, name="import_term_dates"),
    path("email-problems/<int:pk>/retry/", views.email_retry, name="email_retry"),
    path(
        "staff/<int:pk>/reset-second-factor/",
        views.staff_reset_second_factor,
        name="staff_reset_second_factor",
    ),
    path("<slug:slug>/", views.section_list, name="section"),
    path("<slug:slug>/add/", views.section_add, name="add"),
    path("<slug:slug>/<int:pk>/", views.section_edit, name="edit"),
]
