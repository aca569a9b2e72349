"""API of /pipelines, /exchange-rates and /opportunities."""

from ninja import Router

router = Router(tags=["sales"])
