"""The database deadline (claims/middleware.py) covers the whole request, from the first middleware:
a database read before the views (the page cache's revision) that never ends is cut, and the
reader gets the 503 page instead of a worker held until gunicorn's timeout."""

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client


def test_the_deadline_is_the_first_middleware():
    assert settings.MIDDLEWARE[0] == "claims.middleware.DatabaseDeadlineMiddleware"


@pytest.mark.django_db(transaction=True)
def test_a_read_before_the_views_that_never_ends_is_cut_at_the_deadline(settings, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the deadline cuts a PostgreSQL socket; SQLite has no server to wait for")
    settings.DATABASE_REQUEST_DEADLINE = 0.5

    def never_answers(scopes):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(60)")

    monkeypatch.setattr("claims.caching.pages.scope_labels", never_answers)
    try:
        response = Client(raise_request_exception=False).get("/")
        assert response.status_code == 503
        assert response["Retry-After"] == "30"
    finally:
        connection.close()
        with connection.cursor() as cursor:  # the server still sleeps for the cut connection: end it
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE query = 'SELECT pg_sleep(60)' AND pid <> pg_backend_pid()"
            )
