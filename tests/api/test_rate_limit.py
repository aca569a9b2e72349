from django.core.cache import cache


def test_a_client_over_the_rate_limit_gets_429_with_retry_after(admin, api_as, settings):
    cache.clear()
    settings.API_RATE_LIMIT = "3/m"
    client = api_as(admin)

    statuses = [client.call("get", "/me").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    limited = client.call("get", "/me")
    assert limited["Content-Type"] == "application/problem+json"
    assert int(limited["Retry-After"]) >= 1


def test_the_rate_limit_counts_each_user_separately(admin, rep, api_as, settings):
    cache.clear()
    settings.API_RATE_LIMIT = "2/m"
    first, second = api_as(admin), api_as(rep)

    assert [first.call("get", "/me").status_code for _ in range(3)] == [200, 200, 429]
    assert second.call("get", "/me").status_code == 200
