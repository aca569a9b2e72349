"""API of the pipeline reports (/reports/...)."""

from ninja import Router

router = Router(tags=["reports"])
