from django.urls import path

from kestrel.students import views

app_name = "students"
urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search, name="search"),
]
