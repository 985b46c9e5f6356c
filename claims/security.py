"""Login guessing protection (django-axes) adapted to this site."""

from axes.backends import AxesStandaloneBackend
from django.conf import settings


def client_ip(request):
    """The visitor's address, trusting only the last ``TRUSTED_PROXY_COUNT`` X-Forwarded-For hops.

    Behind one reverse proxy, REMOTE_ADDR is the proxy for everyone: locking it out would lock
    out every editor. The proxy appends the real client to X-Forwarded-For; anything before that
    entry was sent by the client and is not trusted.
    """
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(count, len(hops))]
    return request.META.get("REMOTE_ADDR")


class LoginAttemptsBackend(AxesStandaloneBackend):
    """Axes' check for every login through a web request.

    Logins without a request (``manage.py shell``, the test client's ``login()``) are not web
    logins and cannot be counted per address, so this backend steps aside and lets the next one
    (ModelBackend) decide, instead of raising.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
