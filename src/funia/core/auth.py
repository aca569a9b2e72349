"""Sign-in helpers."""


def lockout_username(request, credentials) -> str:
    """Failed sign-ins count per email whatever its capitalisation (django-axes)."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return username.strip().lower()
