"""Per-user rate limit of the API, read from settings on each request (so it can be tuned)."""

from django.conf import settings
from ninja.throttling import AuthRateThrottle


class UserRateThrottle(AuthRateThrottle):
    def __init__(self):
        super().__init__(settings.API_RATE_LIMIT)

    def allow_request(self, request) -> bool:
        self.rate = settings.API_RATE_LIMIT
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)
