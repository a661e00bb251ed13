"""What the shell around every page needs: the school's name, help links and the menu."""

from kestrel.access.policy import allows


def shell(request):
    user = getattr(request, "user", None)
    school = getattr(request, "school", None)
    return {
        "school": school,
        "can_configure_school": bool(user and allows(user, "configure_school")),
    }
