"""API of dashboard."""

from ninja import Router

router = Router(tags=["dashboard"])
