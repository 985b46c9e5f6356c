"""A Redis cache that degrades to no cache when Redis fails, instead of failing the page.

Every read that fails is a miss, every write that fails is dropped, and the error is logged,
whatever the error: Redis down or hanging, and also Redis answering with an error (a full
Redis under ``maxmemory`` refuses writes with ``OutOfMemoryError``; a read-only replica refuses
them too) or a stored value that cannot be unpickled. After a connection failure the cache stays
off for ``RETRY_AFTER`` seconds (an OPTIONS key), so that a Redis host that hangs does not add a
connect timeout to every request; then it tries again by itself. An error answer does not turn
the cache off (reads may still work); it is remembered for :meth:`ResilientRedisCache.state`,
which ``/health/`` reports.
"""

import contextlib
import logging
import os
import pickle
import re
import secrets
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)


def _redis_errors():
    """(errors that mean Redis cannot be reached, every error a cache operation can raise)."""
    import redis

    unreachable = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)
    # ResponseError (OutOfMemoryError, READONLY, ...) and everything else redis-py raises; a
    # value that cannot be unpickled (written by other code, or cut short).
    every = (redis.exceptions.RedisError, OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError)
    return unreachable, every


# Set a revision only if it is not older than the one stored: a reader that read the database
# just before an editor's commit cannot put the older revision back after the editor's. The
# value is "number:microseconds"; ARGV = number, value, time to live in milliseconds.
OFFER_REVISION = """
local stored = redis.call('GET', KEYS[1])
if stored then
  local number = tonumber(string.match(stored, '^(%d+):'))
  if number and number > tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
"""

# The same for several keys at once: KEYS = the keys, ARGV = time to live in milliseconds, then
# (number, value) for each key. Returns how many were stored.
OFFER_REVISIONS = """
local stored_count = 0
for i, key in ipairs(KEYS) do
  local number = tonumber(ARGV[2 * i])
  local stored = redis.call('GET', key)
  local older = false
  if stored then
    local held = tonumber(string.match(stored, '^(%d+):'))
    if held and held > number then older = true end
  end
  if not older then
    redis.call('SET', key, ARGV[2 * i + 1], 'PX', ARGV[1])
    stored_count = stored_count + 1
  end
end
return stored_count
"""


class TrackedRevisions:
    """The revision values this process read from Redis, kept until Redis says they changed (or
    their key's time to live is over).

    A warm page needs the revisions of its scopes on every request; reading them costs a round
    trip to Redis, which on a busy machine waits for Redis to get a core and is most of the
    request. Redis's client-side caching protocol removes it: this process reads the values on a
    connection of its own with ``CLIENT TRACKING ON REDIRECT`` to a second connection subscribed to
    ``__redis__:invalidate``, and Redis sends the name of every key read there on that second
    connection whenever the key changes, expires or the database is flushed. Before each read the
    process takes what has arrived on it (a poll, no round trip) and drops those values.

    Freshness holds because Redis writes the invalidation to this process's socket while it runs
    the write, and writes it out before it handles the writer's next command: the publishing side
    sends one more command after each publication (``publish_scopes`` offers the last-known copy
    right after the scopes; ``unpublish`` pings), so by the time an editor's request returns,
    every reader's socket already holds the news. Any error (a connection lost, Redis restarted) forgets every value and gives up on
    tracking for ``retry_after`` seconds: the caller then reads Redis as before.
    """

    CHANNEL = "__redis__:invalidate"

    def __init__(self, url, options, retry_after):
        self.url = url
        self.options = {k: v for k, v in options.items() if k in ("socket_timeout", "socket_connect_timeout")}
        self.retry_after = retry_after
        self.lock = threading.Lock()
        self.values = {}
        self.pid = None
        self.connection = None
        self.pubsub = None
        self.clients = ()
        self.name = ""
        self.off_until = 0.0

    def get(self, keys):
        """The values of ``keys`` (None for a missing key), or None when tracking is unavailable."""
        with self.lock:
            if time.monotonic() < self.off_until:
                return None
            try:
                if self.pid != os.getpid():
                    self._start()
                self._drain()
                now = time.monotonic()
                missing = [key for key in keys if key not in self.values or self.values[key][1] <= now]
                if missing:
                    self._read(missing, now)
                    # What changed while the answer was on its way is on the other socket now.
                    self._drain()
                return [self.values[key][0] if key in self.values else None for key in keys]
            except Exception as error:  # any failure: forget every value, read Redis as before
                logger.warning("Revision tracking off for %ss (%s: %s)", self.retry_after, type(error).__name__, error)
                self._stop()
                self.off_until = time.monotonic() + self.retry_after
                return None

    def _start(self):
        import redis

        self._stop()
        self.name = name = f"revisions-{os.getpid()}-{secrets.token_hex(4)}"
        # RESP2 on both: Redis sends the news to a RESP2 subscriber as messages on the channel
        # (and Redis 7.0 writes the news of a FLUSHDB in the reading connection's protocol).
        listener = redis.Redis.from_url(self.url, client_name=name, protocol=2, **self.options)
        self.pubsub = listener.pubsub()
        self.pubsub.subscribe(self.CHANNEL)
        for _attempt in range(3):  # the subscription's confirmation
            if self.pubsub.get_message(timeout=self.options.get("socket_timeout", 0.5)) is not None:
                break
        else:
            raise TimeoutError("no confirmation of the subscription")
        reader = redis.Redis.from_url(self.url, protocol=2, **self.options)
        listener_id = next(client["id"] for client in reader.client_list() if client.get("name") == name)
        self.connection = reader.connection_pool.get_connection()
        self.connection.send_command("CLIENT", "TRACKING", "ON", "REDIRECT", listener_id)
        if self.connection.read_response() not in (b"OK", "OK"):
            raise RuntimeError("CLIENT TRACKING refused")
        # redis-py reconnects by itself; a new connection has lost the tracking (or the news sent
        # meanwhile): fail instead, and get() forgets every value.
        self.connection.register_connect_callback(self._tracking_lost)
        self.pubsub.connection.register_connect_callback(self._tracking_lost)
        self.clients = (listener, reader)  # their pools own the two connections
        self.pid = os.getpid()

    def _read(self, keys, now):
        """MGET the keys, and the time each has to live: a key that expires unread is deleted by
        Redis only later, and only then is the news sent, so a value is kept no longer than its key."""
        commands = [("MGET", *keys), *(("PTTL", key) for key in keys)]
        self.connection.send_packed_command(self.connection.pack_commands(commands))
        values = self.connection.read_response()
        for key, value in zip(keys, values, strict=True):
            ttl = self.connection.read_response()
            self.values.pop(key, None)
            if value is not None and ttl != -2:
                self.values[key] = (value, now + ttl / 1000 if ttl >= 0 else float("inf"))

    def _drain(self):
        while (message := self.pubsub.get_message(timeout=0)) is not None:
            if message["type"] != "message":
                continue
            keys = message["data"]
            if keys is None or not isinstance(keys, list):
                self.values.clear()  # FLUSHDB/FLUSHALL
            else:
                for key in keys:
                    self.values.pop(key.decode() if isinstance(key, bytes) else key, None)

    def _stop(self):
        self.values.clear()
        for closing in (self.pubsub, self.connection):
            with contextlib.suppress(Exception):
                if closing is not None:
                    (closing.close if hasattr(closing, "close") else closing.disconnect)()
        self.pubsub = self.connection = None
        self.clients = ()
        self.pid = None

    def _tracking_lost(self, connection):
        raise ConnectionError("reconnected: the revisions tracked on the old connection are no longer followed")


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client builds a new ``redis.Redis`` for every operation (0.2 ms here); keep the one
    its public ``get_client`` made, one for writes and one for reads. (With replicas, a process then
    reads from the one replica it picked first, rather than from one picked anew each time.)"""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.clients = {}

    def get_client(self, key=None, *, write=False):
        client = self.clients.get(write)
        if client is None:
            client = self.clients.setdefault(write, super().get_client(key, write=write))
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        params = dict(params)
        options = dict(params.get("OPTIONS") or {})
        self.retry_after = float(options.pop("RETRY_AFTER", 5))
        # On by default; OPTIONS {"TRACK_REVISIONS": False} reads every revision from Redis.
        track = options.pop("TRACK_REVISIONS", True)
        # Fail fast: a cache that takes longer than this is no faster than the database.
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 0.5)
        params["OPTIONS"] = options
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
        self._down_until = 0.0
        self._failed_at = None  # monotonic time of the last error answer (Redis full, say)
        self._lock = threading.Lock()
        self._unreachable, self._errors = _redis_errors()
        self._tracked = None
        if track:
            url = (re.split("[;,]", server) if isinstance(server, str) else list(server))[0]
            self._tracked = TrackedRevisions(url, options, self.retry_after)

    @property
    def is_down(self):
        return time.monotonic() < self._down_until

    def _call(self, name, fallback, *args, **kwargs):
        return self._guarded(fallback, getattr(super(), name), *args, **kwargs)

    def _guarded(self, fallback, operation, *args, **kwargs):
        if self.is_down:
            return fallback
        try:
            return operation(*args, **kwargs)
        except self._unreachable as error:
            with self._lock:
                if not self.is_down:
                    logger.warning("Cache unavailable (%s): serving without it for %ss", error, self.retry_after)
                self._down_until = time.monotonic() + self.retry_after
            return fallback
        except self._errors as error:
            self._failed_at = time.monotonic()
            logger.warning("Cache error (%s: %s): serving without it", type(error).__name__, error)
            return fallback

    # The content revision that every app server reads before serving a cached page
    # (claims/caching/revision.py): kept as a plain string, outside the pickled values.

    def get_revision(self, key):
        """The stored revision value, or None when there is none or Redis cannot be reached."""
        value = self._guarded(None, lambda: self._cache.get_client(key).get(self.make_key(key)))
        return value.decode() if value is not None else None

    def get_revisions(self, keys):
        """The stored revision values of ``keys``, None for each missing (all None when down): the
        values this process holds while Redis has not said they changed, else one MGET."""
        if self._tracked is not None and not self.is_down:
            values = self._tracked.get([self.make_key(k) for k in keys])
            if values is not None:
                return [value.decode() if value is not None else None for value in values]
        values = self._guarded(None, lambda: self._cache.get_client(keys[0]).mget([self.make_key(k) for k in keys]))
        if values is None:
            return [None] * len(keys)
        return [value.decode() if value is not None else None for value in values]

    def offer_revisions(self, offers, timeout):
        """``offers``: {key: (number, value)}; each stored unless a higher number is stored already."""
        if not offers:
            return 0
        keys = list(offers)
        argv = [int(timeout * 1000)]
        for key in keys:
            argv += list(offers[key])
        return self._guarded(
            0,
            lambda: self._cache.get_client(keys[0], write=True).eval(
                OFFER_REVISIONS, len(keys), *[self.make_key(k) for k in keys], *argv
            ),
        )

    def offer_revision(self, key, number, value, timeout):
        """Store ``value`` unless a higher revision number is stored already; False if refused or down."""
        return bool(
            self._guarded(
                0,
                lambda: self._cache.get_client(key, write=True).eval(
                    OFFER_REVISION, 1, self.make_key(key), number, value, int(timeout * 1000)
                ),
            )
        )

    def ping(self):
        """True when Redis answers now (for the health check; ignores the back-off)."""
        try:
            return bool(self._cache.get_client(write=True).ping())
        except self._errors:
            return False

    def state(self):
        """What readers get from the cache now: "ok", "down" (unreachable) or "failing" (it
        answers with errors: full, read-only). Probes with a write, as storing a page would."""
        try:
            client = self._cache.get_client(write=True)
            client.set(self.make_key("health:probe"), b"1", px=10_000)
        except self._unreachable:
            return "down"
        except self._errors:
            self._failed_at = time.monotonic()
            return "failing"
        return "ok"

    def get(self, key, default=None, version=None):
        return self._call("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, key, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", False, key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", list(data), data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, key, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, keys, version)

    def incr(self, key, delta=1, version=None):
        # A missing key raises ValueError in every backend; an unreachable one does the same here.
        result = self._call("incr", None, key, delta, version)
        if result is None:
            raise ValueError(f"Key '{key}' not found (cache unavailable)")
        return result

    def clear(self):
        return self._call("clear", False)
