"""Faults: the database or the cache going away, and an import failing halfway."""

import logging
import socket
from unittest import mock

import pytest
from django.core.cache import cache, caches
from django.db import OperationalError
from django.test import Client

from claims.caching.backend import ResilientRedisCache
from claims.tests.factories import closed_port, database_down, database_state, make_article

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/claims/"])
def test_database_down_answers_503_with_a_friendly_page_then_recovers(client, home_article, path):
    assert client.get(path).status_code == 200
    with database_down():
        response = client.get(path)
    assert response.status_code == 503
    assert response["Retry-After"].isdigit()
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert "<h1>" in page and "Traceback" not in page and "OperationalError" not in page
    assert "Content-Security-Policy" in response.headers
    # The database is back: the very next request is served normally, with no restart.
    assert client.get(path).status_code == 200


def test_database_error_raised_by_a_middleware_is_a_503_too(home_article):
    client = Client(raise_request_exception=False)
    error = OperationalError("server closed the connection unexpectedly")
    with mock.patch("django.contrib.sessions.middleware.SessionMiddleware.process_request", side_effect=error):
        response = client.get("/claims/")
    assert response.status_code == 503
    assert "Traceback" not in response.content.decode()
    assert client.get("/claims/").status_code == 200


def test_other_errors_stay_500s(home_article):
    client = Client(raise_request_exception=False)
    with mock.patch("django.contrib.sessions.middleware.SessionMiddleware.process_request", side_effect=KeyError):
        assert client.get("/claims/").status_code == 500


def test_health_reports_database_and_cache(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["database"] == "ok" and response.json()["cache"] == "ok"
    assert "no-cache" in response["Cache-Control"]


def test_health_is_503_while_the_database_is_down_and_200_after(client):
    with database_down():
        response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["database"] == "down" and response.json()["status"] == "unavailable"
    assert client.get("/health/").status_code == 200


# ---------------------------------------------------------------------------------------------
# Cache down


@pytest.fixture
def dead_redis(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "claims.caching.backend.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "KEY_PREFIX": "hundredmodels-test",
        }
    }
    yield caches["default"]


def test_a_cache_that_is_down_is_a_miss_and_logs(dead_redis, caplog):
    assert isinstance(dead_redis, ResilientRedisCache)
    with caplog.at_level(logging.WARNING, logger="claims.caching.backend"):
        assert dead_redis.get("anything", "fallback") == "fallback"
    assert "Cache unavailable" in caplog.text
    dead_redis.set("key", "value")
    assert dead_redis.get("key") is None
    assert dead_redis.get_or_set("key", lambda: "computed") == "computed"
    assert dead_redis.get_many(["a", "b"]) == {}
    assert dead_redis.add("key", 1) is False and dead_redis.delete("key") is False
    with pytest.raises(ValueError):
        dead_redis.incr("counter")


def test_pages_and_health_are_served_while_the_cache_is_down(dead_redis, client, home_article):
    assert client.get("/").status_code == 200
    assert client.get("/claims/").status_code == 200
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {**response.json(), "database": "ok", "cache": "down"}


def test_the_cache_backs_off_then_tries_again(dead_redis):
    dead_redis.get("x")
    assert dead_redis.is_down
    with mock.patch("django.core.cache.backends.redis.RedisCache.get", return_value="back") as get:
        assert dead_redis.get("x") is None  # still backing off: Redis is not asked
        get.assert_not_called()
        dead_redis._down_until = 0
        assert dead_redis.get("x") == "back"


def redis_is_up():
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_is_up(), reason="no Redis on 127.0.0.1:6379")
def test_a_live_redis_works_as_a_normal_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "claims.caching.backend.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": "hundredmodels-test",
        }
    }
    live = caches["default"]
    live.set("greeting", {"ja": "こんにちは"}, 30)
    assert live.get("greeting") == {"ja": "こんにちは"}
    assert live.incr("greeting-count", 1) if live.add("greeting-count", 1) else True
    assert live.ping()
    live.delete_many(["greeting", "greeting-count"])


def test_default_test_cache_is_untouched():
    assert cache.get("never-set") is None


# ---------------------------------------------------------------------------------------------
# An import that fails halfway leaves nothing behind


@pytest.fixture
def desk_file():
    """A file that updates an existing claim and creates new ones with evidence, tags and history."""
    from claims.tests.factories import SOURCE_CELL as SOURCE
    from claims.tests.factories import csv_bytes
    from claims.tests.factories import csv_row as row

    article = make_article(claims=False)
    from claims.csv import importing

    importing.import_bytes(csv_bytes([row(statement="東京は日本の首都です。", verdict_note="既存")]))
    return article, csv_bytes(
        [
            row(statement="東京は日本の首都です。", verdict_note="更新された"),
            row(statement="富士山は日本一高い山です。", status="verified", evidence=SOURCE, tags="地理, 山"),
            row(statement="最後の文です。", status="unsupported", verdict_note="出典が見つからない", tags="論争"),
        ]
    )


@pytest.mark.parametrize(
    "failing_step",
    [
        "claims.models.Evidence.objects.bulk_create",  # after the claims are written
        "taggit.models.TaggedItem.objects.bulk_create",  # after claims and evidence
        "claims.models.StatusChange.objects.bulk_create",  # after everything but the history
        "claims.services.write.content_changed",  # the very last step
    ],
)
def test_an_import_that_fails_midway_leaves_the_database_unchanged(desk_file, failing_step):
    from taggit.models import TaggedItem

    from claims.csv import importing
    from claims.models import Claim, Evidence, StatusChange

    _article, data = desk_file
    before = database_state()
    owners = {
        "claims.models.Evidence.objects.bulk_create": (Evidence.objects, "bulk_create"),
        "taggit.models.TaggedItem.objects.bulk_create": (TaggedItem.objects, "bulk_create"),
        "claims.models.StatusChange.objects.bulk_create": (StatusChange.objects, "bulk_create"),
    }
    written = []

    def crash(*args, **kwargs):
        written.append(Claim.objects.count())
        raise OSError("disk full (simulated)")

    if failing_step in owners:
        target = mock.patch.object(*owners[failing_step], side_effect=crash)
    else:
        target = mock.patch(failing_step, side_effect=crash)
    with target, pytest.raises(OSError, match="simulated"):
        importing.import_bytes(data, file_name="desk.csv")
    assert written and written[0] > len(before["claims"])  # rows were written when it failed
    assert database_state() == before


def test_an_import_refused_by_the_database_midway_reports_it_and_keeps_nothing(desk_file):
    from django.db import IntegrityError

    from claims.csv import importing
    from claims.models import StatusChange

    _article, data = desk_file
    before = database_state()
    with mock.patch.object(StatusChange.objects, "bulk_create", side_effect=IntegrityError("duplicate key")):
        report = importing.import_bytes(data, file_name="desk.csv")
    assert report.errors and not report.ok
    assert database_state() == before


def test_with_redis_url_at_a_closed_port_the_site_still_answers(tmp_path):
    """The settings' REDIS_URL path, end to end in a fresh process: the cache fails open."""
    import os
    import subprocess
    import sys

    from django.conf import settings as django_settings

    script = (
        "from django.core.cache import cache, caches\n"
        "from django.test import Client\n"
        "print(type(caches['default']).__name__)\n"
        "print(cache.get('x', 'miss'))\n"
        "cache.set('x', 1)\n"
        "response = Client().get('/health/')\n"
        "print(response.status_code, response.json()['cache'])\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "SQLITE_"))}
    env.update(REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0", SQLITE_PATH=str(tmp_path / "db.sqlite3"))
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        cwd=django_settings.BASE_DIR,
        env=env,
        check=True,
        timeout=300,
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == ["ResilientRedisCache", "miss", "200 down"]
