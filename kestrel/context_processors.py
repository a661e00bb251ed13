"""What the shell around every page needs: the school's name, help links and the menu."""

from kestrel.access.keys import key_unlocked_until
from kestrel.access.policy import allows
from kestrel.accounts import second_factor
from kestrel.students.names import NamesShown


def shell(request):
    user = getattr(request, "user", None)
    school = getattr(request, "school", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "school": school,
        # The menu appears once sign-in is complete (second factor included), not before.
        "fully_signed_in": signed_in
        and second_factor.state(request) in {second_factor.VERIFIED, second_factor.NOT_REQUIRED},
        "can_configure_school": signed_in and allows(request, "configure_school"),
        "key_unlocked_until": key_unlocked_until(request) if signed_in else None,
        # How this request shows students (Hide Names): the button says which it is.
        "names_shown": NamesShown.of(request),
    }
