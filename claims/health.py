"""/health/: the database's and the cache's state, for a load balancer or a monitor."""

import time

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


def _database_state():
    try:
        with connection.cursor() as cursor:
            # A table, not just "SELECT 1": a database that answers without the site's tables
            # (an empty SQLite file, the wrong database) cannot serve pages either.
            cursor.execute("SELECT 1 FROM django_migrations LIMIT 1")
            cursor.fetchone()
        return "ok"
    except DatabaseError:
        # Django closes a broken connection at the end of the request; the next one reconnects.
        return "down"


def _cache_state():
    """ "ok", "down" or "failing" (Redis answers but refuses writes: pages are then not stored)."""
    state = getattr(cache, "state", None)
    if state is not None:
        return state()
    key = "health:probe"
    try:
        cache.set(key, "1", 10)
        return "ok" if cache.get(key) == "1" else "failing"  # it answers but keeps nothing
    except Exception:
        return "down"


@never_cache
def health(request):
    """200 while the database answers (the site can serve pages); 503 when it does not.

    A cache that is down is reported but does not fail the check: pages are then served uncached.
    """
    started = time.monotonic()
    database = _database_state()
    state = {
        "database": database,
        "cache": _cache_state(),
        "seconds": round(time.monotonic() - started, 3),
    }
    state["status"] = "ok" if database == "ok" else "unavailable"
    return JsonResponse(state, status=200 if database == "ok" else 503)
