from django.urls import path

from kestrel.training_pages import views

app_name = "training_pages"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/<int:pk>/", views.staff, name="staff"),
    path("staff/<int:pk>/record/", views.record_training, name="record"),
    path("staff/<int:pk>/joined/", views.joined, name="joined"),
    path("records/<int:pk>/certificate/", views.certificate, name="certificate"),
    path("records/<int:pk>/certificate/add/", views.add_certificate, name="add_certificate"),
    path("records/<int:pk>/remove/", views.remove, name="remove"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:pk>/", views.import_preview, name="import_preview"),
    path("import/<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("import/<int:pk>/cancel/", views.import_cancel, name="import_cancel"),
    path("import/<int:pk>/refused.csv", views.import_refused, name="import_refused"),
    path("compliance.csv", views.compliance_csv, name="compliance_csv"),
]
