from django.urls import path

from kestrel.students import views

app_name = "students"
urlpatterns = [
    path("search/", views.search, name="search"),
    path("<int:pk>/", views.chronology, name="chronology"),
]
