#!/usr/bin/env python
"""What badges cost: the article page rendered in process, with and without its claims.

    .venv/bin/python bench/render_bench.py [--sizes 100,1000] [--rounds 5]

For each size the same generated text (claims.sampledata) is rendered with no claims ("bare") and
with a claim on every sentence, through the whole middleware stack with the test client, fastest
of ``--rounds``:

  cold       the cache emptied: every badge rendered (the first render after a deploy)
  page-cold  the page re-keyed by an edit elsewhere (the content revision moved): every claim's
             badge comes from the fragment cache (rendering.claim_badges), the page is rendered
  one edit   one claim of this article changed through the workflow: its badge alone is rendered

It uses the settings' cache (LocMem, or Redis with REDIS_URL) and a throwaway test database
(SQLite, or PostgreSQL with DATABASE_URL). Timings, not assertions: compare runs made together.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hundredmodels.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")


def measure(client, url, rounds, before):
    times = []
    for _ in range(rounds):
        before()
        start = time.perf_counter()
        response = client.get(url, HTTP_ACCEPT_ENCODING="identity")
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    return min(times) * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from django.test.runner import DiscoverRunner

    # No setup_test_environment(): it instruments every template render for the test client's
    # benefit, which a server does not pay. DEBUG's default ALLOWED_HOSTS include "testserver".
    runner = DiscoverRunner(verbosity=0)
    databases = runner.setup_databases()
    try:
        from django.core.cache import cache
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from claims import services, text
        from claims.caching.pages import local_pages
        from claims.caching.revision import content_changed
        from claims.sampledata import make_sample_article

        def empty():
            cache.clear()
            local_pages.pages.clear()
            text.layout.cache_clear()

        def rekey():
            content_changed()
            local_pages.pages.clear()

        client = Client()
        rows = []
        for size in [int(s) for s in args.sizes.split(",")]:
            bare = make_sample_article(size, slug=f"bare-{size}")
            bare.claims.all().delete()
            full = make_sample_article(size, slug=f"full-{size}")
            claim = full.claims.filter(is_claim=True).first()
            counter = iter(range(10**6))

            def edit_one(claim=claim, counter=counter):
                services.claims_apply(
                    changes=[services.ClaimChange(claim=claim, values={"internal_note": f"edit {next(counter)}"})],
                    via="command",
                )
                local_pages.pages.clear()

            bare_ms = measure(client, bare.get_absolute_url(), args.rounds, empty)
            cold = measure(client, full.get_absolute_url(), args.rounds, empty)
            client.get(full.get_absolute_url())
            page_cold = measure(client, full.get_absolute_url(), args.rounds, rekey)
            one_edit = measure(client, full.get_absolute_url(), args.rounds, edit_one)
            rekey()
            with CaptureQueriesContext(connection) as queries:
                client.get(full.get_absolute_url())
            rows.append((size, bare_ms, cold, page_cold, one_edit, len(queries)))
        print(f"{'claims':>7} {'bare ms':>8} {'cold ms':>8} {'page-cold ms':>13} {'one edit ms':>12} {'queries':>8}")
        for size, bare_ms, cold, page_cold, one_edit, queries in rows:
            print(f"{size:>7} {bare_ms:>8.1f} {cold:>8.1f} {page_cold:>13.1f} {one_edit:>12.1f} {queries:>8}")
        print()
        for size, bare_ms, cold, page_cold, one_edit, _q in rows:
            print(
                f"{size} claims: page-cold / bare = {page_cold / bare_ms:.2f}, cold / bare = {cold / bare_ms:.2f}, "
                f"one edit / cold = {one_edit / cold:.2f}"
            )
        if len(rows) >= 2:
            print(f"page-cold {rows[-1][0]} / page-cold {rows[0][0]} = {rows[-1][3] / rows[0][3]:.1f}")
    finally:
        runner.teardown_databases(databases)


if __name__ == "__main__":
    main()
