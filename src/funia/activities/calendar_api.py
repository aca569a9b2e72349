"""API of the user's private calendar feed (/me/calendar-feed)."""

from ninja import Router

router = Router(tags=["calendar"])
