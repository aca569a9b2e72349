"""API of forecast."""

from ninja import Router

router = Router(tags=["forecast"])
