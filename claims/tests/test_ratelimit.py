"""Rates that hold when the shared cache does not (claims/ratelimit.py): the report form (5 an
hour), the API (120 a minute) and search, with Redis unreachable, refusing writes, or under a
burst of concurrent requests from one client."""

import threading

import pytest
from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client, override_settings
from django.urls import reverse

from claims import ratelimit
from claims.models import Report
from claims.tests.factories import claim_for, closed_port, make_status
from claims.tests.pages import page_form, post_data

# The site's own API settings with a small allowance: everything else (the schema class above
# all, which @extend_schema reads when the API views are first imported) stays as deployed.
THREE_A_MINUTE = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api": "3/minute"}}

FUJI = "富士山は日本一高い山です。"
REDIS_TEST_URL = "redis://127.0.0.1:6379/11"


class RefusingCache(LocMemCache):
    """A cache that answers but stores nothing: Redis full under ``maxmemory`` (noeviction), or read-only."""

    def add(self, key, value, timeout=None, version=None):
        return False

    def set(self, key, value, timeout=None, version=None):
        return None


def unreachable_redis():
    return {
        "default": {
            "BACKEND": "claims.caching.backend.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }


def raising_redis():
    """Django's own Redis cache raises on every call when Redis is unreachable."""
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }


def refusing_cache():
    return {"default": {"BACKEND": "claims.tests.test_ratelimit.RefusingCache"}}


FAULTS = {"unreachable": unreachable_redis, "raising": raising_redis, "refusing": refusing_cache}


@pytest.fixture(autouse=True)
def fresh_counters():
    ratelimit.local_counters.counts.clear()
    yield
    ratelimit.local_counters.counts.clear()


@pytest.fixture
def verified_claim(home_article):
    return make_status(claim_for(home_article, FUJI), "verified", note="確認。")


def reader(address="203.0.113.7"):
    return Client(raise_request_exception=False, REMOTE_ADDR=address)


def send_report(client, claim, message="誤りがあります。"):
    url = reverse("claims:report") + f"?claim={claim.pk}"
    form = page_form(client.get(url), having="message")
    return client.post(url, post_data(form, message=message))


@pytest.mark.parametrize("fault", FAULTS)
def test_with_the_cache_failing_the_sixth_report_in_an_hour_is_refused(verified_claim, fault):
    with override_settings(CACHES=FAULTS[fault]()):
        client = reader()
        for _n in range(5):
            assert send_report(client, verified_claim).status_code == 200
        sixth = send_report(client, verified_claim, message="六通目。")
        assert sixth.status_code == 429 and 0 < int(sixth["Retry-After"]) <= 3600
        assert Report.objects.count() == 5
        assert send_report(reader("198.51.100.10"), verified_claim, message="別の人。").status_code == 200


@pytest.mark.parametrize("fault", FAULTS)
@override_settings(REST_FRAMEWORK=THREE_A_MINUTE)
def test_with_the_cache_failing_the_api_still_answers_429(db, fault):
    with override_settings(CACHES=FAULTS[fault]()):
        client = reader()
        assert [client.get("/api/v1/tags").status_code for _ in range(4)] == [200, 200, 200, 429]
        assert 0 < int(client.get("/api/v1/tags")["Retry-After"]) <= 60


def hammer(count, call):
    """``call`` from ``count`` threads released at once; their results."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.parametrize(
    "caches",
    [
        {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        {"default": {"BACKEND": "claims.caching.backend.ResilientRedisCache", "LOCATION": REDIS_TEST_URL}},
        unreachable_redis(),
    ],
    ids=["locmem", "redis", "redis-down"],
)
def test_twenty_concurrent_hits_from_one_client_allow_five(caches):
    with override_settings(CACHES=caches):
        from django.core.cache import cache

        cache.clear()
        verdicts = hammer(20, lambda: ratelimit.hit("report", "203.0.113.7", "5/hour"))
        assert sum(verdict.allowed for verdict in verdicts) == 5


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_reports_from_one_client_store_at_most_five(verified_claim):
    url = reverse("claims:report") + f"?claim={verified_claim.pk}"
    form = page_form(reader().get(url), having="message")
    data = post_data(form, message="誤りがあります。")

    def post():
        from django.db import connection

        try:
            return reader().post(url, data).status_code
        finally:
            connection.close()

    statuses = hammer(20, post)
    assert statuses.count(200) <= 5 and statuses.count(429) >= 15
    assert Report.objects.count() <= 5


def test_a_rate_parses_like_the_settings_write_it():
    assert ratelimit.Rate.parse("120/minute") == ratelimit.Rate(120, 60)
    assert ratelimit.Rate.parse("5/hour") == ratelimit.Rate(5, 3600)
