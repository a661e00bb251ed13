from django.urls import path

from kestrel.report_pages import views

app_name = "report_pages"
urlpatterns = [
    path("governors/", views.governors, name="governors"),
    path("governors.pdf", views.governors_pdf, name="governors_pdf"),
    path("governors.csv", views.governors_csv, name="governors_csv"),
    path("inspection/", views.inspection, name="inspection"),
    path("inspection.pdf", views.inspection_pdf, name="inspection_pdf"),
    path("patterns/", views.patterns, name="patterns"),
]
