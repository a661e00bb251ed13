from django.urls import path

from kestrel.alerts import views

app_name = "alerts"
urlpatterns = [
    path("<int:pk>/read/", views.mark_as_read, name="read"),
    path("next/", views.next_alert, name="next"),
]
