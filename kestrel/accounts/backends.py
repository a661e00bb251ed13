"""Signing in with email and password; the signed-in user arrives with their school and level."""

from django.contrib.auth.backends import ModelBackend

from kestrel.accounts.models import User


class UserBackend(ModelBackend):
    """Django's model backend, loading the user's school and access level in the same query:
    every page reads both (scoping and what the user may see), so neither costs a query."""

    def get_user(self, user_id):
        user = (
            User._default_manager.select_related("school", "access_level")
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None
