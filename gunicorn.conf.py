"""gunicorn settings for production and the local production-like stack (python3 dev.py prod)."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
timeout = 30
# Well under the timeout above: a statement that runs longer is cancelled and the reader gets the
# 503 page, instead of the worker being killed (docs/operations.md). Commands are not limited.
os.environ.setdefault("DATABASE_STATEMENT_TIMEOUT", "5")
# A database that accepts but never answers (frozen, black-holed) is cut off before the timeout too.
os.environ.setdefault("DATABASE_REQUEST_DEADLINE", "8")
graceful_timeout = 20
keepalive = 5
# Workers are replaced now and then to bound slow leaks. At 5,000 requests a busy worker was
# replaced every half minute, and each replacement imported Django afresh while its share of the
# requests queued (wrk saw timeouts); the application is loaded once in the master and forked.
max_requests = 100_000
max_requests_jitter = 10_000
preload_app = True
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
wsgi_app = "hundredmodels.wsgi:application"
