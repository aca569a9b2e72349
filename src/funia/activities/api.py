"""API of /activities, /activity-purposes and the contact registry's conflicts."""

from ninja import Router

router = Router(tags=["activities"])
