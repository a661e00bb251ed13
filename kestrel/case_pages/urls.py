app_name = "case_pages"
urlpatterns = []
