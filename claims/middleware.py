"""Middleware for running in public: the content security policy, the database-down page, the language."""

import contextlib
import functools
import logging
import os
import socket
import threading

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError, connections
from django.middleware.locale import LocaleMiddleware
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30

# The admin's own policy: the public one, plus exactly the inline code that the admin's templates
# carry, each allowed by its hash alone (tests check the hashes against the installed templates):
# - django-import-export's export form: one inline onchange handler and two style attributes
#   (shown when fields are selectable), which need 'unsafe-hashes' to be allowed by hash;
# - Django's change list: one <style> block, when a list turns off actions_on_top and _bottom.
ADMIN_EXPORT_HANDLER_HASH = "'sha256-wid4zL8fR53ZYy1ljOepzR77Dn6vWUUxuNnnWWBP3I8='"
ADMIN_STYLE_HASHES = [
    "'sha256-mHgUAqxc8GPXM/QhzkHrHujcrQTU9fd6ZjWz+icxKcA='",  # import-export: style="padding: 0;"
    "'sha256-+YWRMZ88jMyO7jVlBA52tZADiPobPIUA8LAWee68Fvs='",  # import-export: style="font-weight: bold;"
    "'sha256-blvLUW3UscWqsXGByNOqdBboM+ShWAuugp2mC/wbafU='",  # admin/change_list.html's <style>
]
ADMIN_POLICY_REPLACE = {
    "script-src": ["'self'", "'unsafe-hashes'", ADMIN_EXPORT_HANDLER_HASH],
    "style-src": ["'self'", "'unsafe-hashes'", *ADMIN_STYLE_HASHES],
}


class SiteCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, with the admin's relaxed policy under the admin's URL prefix."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if parts.replace is None and request.path_info.startswith(admin_prefix()):
            parts.replace = ADMIN_POLICY_REPLACE
        return parts


@functools.cache
def admin_prefix():
    """The admin's path as ``request.path_info`` sees it (without the script prefix)."""
    try:
        path = reverse("admin:index")
    except Exception:
        return "/admin/"
    return "/" + path.removeprefix(get_script_prefix())


def reader_language(request):
    """The language of the reader's pages: the site's switch sets it, the browser's settings do not."""
    code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _note_database_error(sender, request=None, **kwargs):
    import sys

    error = sys.exc_info()[1]
    if request is not None and isinstance(error, DATABASE_ERRORS):
        request._database_unavailable = error


got_request_exception.connect(_note_database_error, dispatch_uid="claims.middleware.database_unavailable")


def database_unavailable_response(request):
    from django.http import HttpResponse

    response = HttpResponse(
        render_to_string("503.html", {"retry_after": RETRY_AFTER_SECONDS}, request=None), status=503
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _cut(connection):
    """Shut down the socket of a database connection that another thread is blocked on."""
    raw = getattr(connection, "connection", None)
    pgconn = getattr(raw, "pgconn", None)
    if pgconn is None:
        return
    with contextlib.suppress(Exception):
        fd = os.dup(pgconn.socket)
        try:
            socket.socket(fileno=fd).shutdown(socket.SHUT_RDWR)
        finally:
            os.close(fd)


@contextlib.contextmanager
def database_deadline(seconds=None):
    """Cut this thread's database connection if the block still runs after ``seconds``.

    A server that accepts but never answers (frozen, or behind a black hole that still
    acknowledges) leaves psycopg waiting without end; the statement timeout is the server's, so it
    cannot help. Cutting the socket turns the wait into an OperationalError, which the middleware
    answers with the 503 page before gunicorn's timeout kills the worker.
    """
    seconds = settings.DATABASE_REQUEST_DEADLINE if seconds is None else seconds
    if not seconds or connections["default"].vendor != "postgresql":
        yield
        return
    connection = connections["default"]

    def expire():
        logger.error("Database did not answer within %ss: cutting the connection", seconds)
        _cut(connection)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


class DatabaseDeadlineMiddleware:
    """The whole request under :func:`database_deadline`: first in MIDDLEWARE, so the database
    reads made before the views (the page cache's revision, the session) are cut at the deadline
    too, not only the views' own queries."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with database_deadline():
            return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """A friendly 503 page with Retry-After instead of a traceback while the database is down.

    Nothing is kept between requests: Django opens a new connection for the next request, so the
    site answers normally again as soon as the database is back. Errors raised by views (and by
    the templates they render) are caught in ``process_exception``; errors raised by middleware
    further in are noted through ``got_request_exception`` and their 500 answer is replaced here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)  # under DatabaseDeadlineMiddleware's deadline
        error = getattr(request, "_database_unavailable", None)
        if error is not None and response.status_code >= 500:
            return database_unavailable_response(request)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            logger.error("Database unavailable on %s: %s", request.path, exception)
            return database_unavailable_response(request)
        return None


class SiteLocaleMiddleware(LocaleMiddleware):
    """Japanese unless the reader chose another language with the site's language switch.

    Django's own middleware follows the browser's Accept-Language; this site is a Japanese
    publication, so only the language cookie (set by the switch) changes the language.
    """

    def process_request(self, request):
        translation.activate(reader_language(request))
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
