"""API of plan_risk."""

from ninja import Router

router = Router(tags=["plan_risk"])
