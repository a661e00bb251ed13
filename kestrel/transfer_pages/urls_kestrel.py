"""URLs of the route to a school on Kestrel (included by urls.py): the DSL's sending, and the
three addresses another Kestrel calls (a school's public keys, the inbox, the receipts)."""

from django.urls import path

from kestrel.transfer_pages import kestrel_route

urlpatterns = [
    path("transfers/<int:pk>/kestrel/", kestrel_route.send, name="kestrel_send"),
    path("transfers/<int:pk>/kestrel/status/", kestrel_route.status, name="kestrel_status"),
    path("transfers/keys/<str:urn>/", kestrel_route.keys, name="kestrel_keys"),
    path("transfers/inbox/", kestrel_route.inbox, name="kestrel_inbox"),
    path("transfers/receipts/", kestrel_route.receipts, name="kestrel_receipts"),
]
