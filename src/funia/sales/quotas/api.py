"""API of quotas."""

from ninja import Router

router = Router(tags=["quotas"])
