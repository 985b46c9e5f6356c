"""Public pages that never go stale: ``revision`` (the content revision every page is keyed by),
``pages`` (the cached-page middleware and ``public_page``) and ``backend`` (the Redis cache that
degrades to no cache)."""
