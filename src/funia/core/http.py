"""Facts about the HTTP client that several modules need."""

from django.conf import settings


def client_address(request) -> str:
    """The visitor's address, for per-address limits (e.g. the public web-to-lead forms).

    Behind a reverse proxy every request comes from the proxy; with
    FUNIA_CLIENT_IP_HEADER (e.g. X-Forwarded-For) the address is the last one in that
    header: the one the proxy itself saw, which a client cannot forge."""
    header = settings.CLIENT_IP_HEADER
    if header:
        forwarded = request.headers.get(header, "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR", "") or "unknown"
