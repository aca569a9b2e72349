"""ETag on reads, If-Match on writes (412 on a stale version)."""


def if_match(request) -> str | None:
    return request.headers.get("If-Match")


def with_etag(response, obj):
    response["ETag"] = obj.etag
    return obj
