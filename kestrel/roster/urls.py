from django.urls import path

from kestrel.roster import views

app_name = "roster"
urlpatterns = [
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/columns/", views.columns, name="columns"),
    path("<int:pk>/rows/<slug:outcome>/", views.rows, name="rows"),
    path("<int:pk>/refused.csv", views.refused_csv, name="refused_csv"),
    path("<int:pk>/confirm/", views.confirm, name="confirm"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/invite/", views.invite, name="invite"),
    path("<int:pk>/rows/<int:row>/decide/", views.decide, name="decide"),
    path("<slug:kind>/", views.upload, name="upload"),
]
