"""Answers under /api/ that Ninja's operations did not produce (no such route, method not
allowed) still come as application/problem+json."""

from funia.api.problems import PROBLEM_CONTENT_TYPE, problem

API_PREFIX = "/api/"
MESSAGES = {404: "No such API route.", 405: "This method is not allowed here."}


class ApiProblemMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith(API_PREFIX)
            and response.status_code in MESSAGES
            and not response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            replacement = problem(response.status_code, MESSAGES[response.status_code])
            if "Allow" in response:
                replacement["Allow"] = response["Allow"]
            return replacement
        return response
