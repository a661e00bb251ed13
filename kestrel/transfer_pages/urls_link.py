"""URLs of the link part of the transfer pages (included by urls.py)."""

urlpatterns = []
