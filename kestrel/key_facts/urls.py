app_name = "key_facts"
urlpatterns = []
