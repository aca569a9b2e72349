"""View guards: signed in, with an organisation; admins only."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import render


def member_required(view):
    """Signed in and a member of an organisation; `request.actor` is then set."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.actor is None:
            return render(request, "web/no_organization.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def admin_required(view):
    @member_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.actor.is_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
