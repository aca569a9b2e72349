"""API of /leads, /lead-forms, /assignment-rules and the public /web-to-lead."""

from ninja import Router

router = Router(tags=["leads"])
