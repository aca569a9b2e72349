"""API of in-app notifications (/notifications)."""

from ninja import Router

router = Router(tags=["notifications"])
