from django.urls import path

from kestrel.audit_pages import views

app_name = "audit"
urlpatterns = [
    path("", views.index, name="index"),
    path("students/<int:pk>/", views.student, name="student"),
    path("staff/<int:pk>/", views.staff, name="staff"),
]
