"""URLs of the kestrel part of the transfer pages (included by urls.py)."""

urlpatterns = []
