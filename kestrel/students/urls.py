from django.urls import path

from kestrel.students import views

app_name = "students"
urlpatterns = [path("<int:pk>/", views.chronology, name="chronology")]
