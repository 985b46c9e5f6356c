#!/usr/bin/env python
"""Renders after an edit: the 1,000-claim article under wrk load while its revision moves every 2 s.

    .venv/bin/python bench/render_stampede.py

Every edit re-keys every page. Without a render lock each of gunicorn's workers that meets the
miss renders the page itself (about a second each at 1,000 claims); with it one worker renders
and the others wait for its copy (claims/caching.py). It prints the number of edits, the
article-table lookups PostgreSQL counted (two per render) and wrk's summary. Same stack and
settings as bench/page_bench.py: PostgreSQL, Redis, gunicorn.conf.py, wrk -t2 -c64 -d20s.
"""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import page_bench

PORT = 8799
EDIT_EVERY = 2


def article_lookups(connection):
    time.sleep(1.5)  # PostgreSQL publishes table statistics within a second
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(idx_scan, 0) + coalesce(seq_scan, 0) FROM pg_stat_user_tables "
            "WHERE relname = 'claims_article'"
        )
        return cursor.fetchone()[0]


def main():
    os.environ.update(page_bench.ENV)
    page_bench.SIZES[:] = [1000]
    page_bench.create_database(page_bench.ENV["DATABASE_URL"])
    paths = page_bench.prepare()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection

    from claims.caching.revision import content_changed

    call_command("collectstatic", interactive=False, verbosity=0)
    cache.clear()
    server = subprocess.Popen(
        [str(page_bench.ROOT / ".venv/bin/gunicorn"), "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{PORT}"],
        cwd=page_bench.ROOT,
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{PORT}{paths[1000]}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url, timeout=30).read()
                break
            except OSError:
                time.sleep(0.3)
        before = article_lookups(connection)
        wrk = subprocess.Popen(["wrk", "-t2", "-c64", "-d20s", "--latency", url], stdout=subprocess.PIPE, text=True)
        edits, start = 0, time.monotonic()
        while time.monotonic() - start < 18:
            time.sleep(EDIT_EVERY)
            content_changed()  # what every save does; committed at once (autocommit)
            edits += 1
        out = wrk.communicate()[0]
        lookups = article_lookups(connection) - before
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"edits: {edits}; article lookups: {lookups} (about {lookups / 2 / edits:.1f} renders per edit)")
    print(
        "\n".join(line for line in out.splitlines() if any(k in line for k in ("Requests/sec", "50%", "99%", "Socket")))
    )


if __name__ == "__main__":
    main()
