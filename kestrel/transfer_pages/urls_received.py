"""URLs of the received part of the transfer pages (included by urls.py)."""

urlpatterns = []
