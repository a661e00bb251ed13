"""Signing in with email and password; the signed-in user arrives with their school and level."""

from django.contrib.auth.backends import ModelBackend

from kestrel.accounts.models import User
from kestrel.schools.scope import scopes_disabled


class UserBackend(ModelBackend):
    """Django's model backend, loading the user's school and access level in the same query:
    every page reads both (scoping and what the user may see), so neither costs a query.

    It finds users across schools: signing in, and the session's user, come before any school
    scope exists (the scope is the user's own school, kestrel.access.middleware)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        with scopes_disabled():
            return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id):
        user = User.all_schools.select_related("school", "access_level").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
