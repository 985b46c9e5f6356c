#!/usr/bin/env python
"""What badges cost: the article page rendered in process, with and without its claims.

    .venv/bin/python bench/render_bench.py [--sizes 10,100,1000] [--rounds 20]

For each size the same generated text (claims.tests.sampledata) is rendered with no claims ("bare") and
with a claim on every sentence, through the whole middleware stack with the test client; each
case is the fastest of ``--rounds``, the cases taking turns within a round:

  bare       the text without claims, from nothing (cache and split texts emptied)
  cold       the same with its claims, from nothing: every paragraph and badge rendered (the
             first render after a deploy)
  page-cold  the page re-keyed by an edit elsewhere (the content revision moved): the page is
             rendered, every paragraph comes from the fragment cache
  one edit   one claim of this article changed through the workflow: its paragraph (and its
             badges) alone are rendered
  other      another article's page right after that edit: served as it was (same ETag), nothing of
             it rendered again

The queries are counted on a cold render (the most a page runs). The ratios the issue set are
printed at the end with "met" or "NOT MET".

It uses the settings' cache (LocMem, or Redis with REDIS_URL) and a throwaway test database
(SQLite, or PostgreSQL with DATABASE_URL). Timings, not assertions: compare runs made together.
"""

import argparse
import gc
import os
import sys
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hundredmodels.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")


def timed(client, url, before):
    before()
    gc.collect()
    gc.disable()  # as timeit does: a collection is the process's cost, not the render's
    try:
        start = time.perf_counter()
        response = client.get(url, HTTP_ACCEPT_ENCODING="identity")
        elapsed = time.perf_counter() - start
    finally:
        gc.enable()
    assert response.status_code == 200, response.status_code
    return elapsed * 1000


def measure(client, rounds, cases):
    """The fastest of ``rounds`` of each case ((url, before) by name). The cases take turns within
    a round, so a busy moment of the machine slows all of them rather than one: their ratios are
    what the bench is for."""
    times = {name: [] for name in cases}
    for _ in range(rounds):
        for name, (url, before) in cases.items():
            times[name].append(timed(client, url, before))
    return {name: min(values) for name, values in times.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--rounds", type=int, default=20)
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

        from claims import rendering, services, text
        from claims.caching.pages import local_pages
        from claims.caching.revision import content_changed
        from claims.tests.sampledata import make_sample_article

        def empty():  # as after a deploy: nothing stored, nothing in this process
            cache.clear()
            local_pages.pages.clear()
            rendering.local_fragments.pages.clear()
            rendering.local_plans.pages.clear()
            text.layout.cache_clear()

        def rekey():
            content_changed()
            local_pages.pages.clear()

        client = Client()
        other = make_sample_article(10, slug="other")  # another article: an edit elsewhere must leave it alone
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

            empty()
            with CaptureQueriesContext(connection) as queries:
                client.get(full.get_absolute_url())
            cold_queries = len(queries)  # now: the context reads the connection's log lazily
            url = full.get_absolute_url()
            best = measure(
                client,
                args.rounds,
                {
                    "bare": (bare.get_absolute_url(), empty),
                    "cold": (url, empty),
                    "page-cold": (url, rekey),
                    "one edit": (url, edit_one),
                },
            )
            bare_ms, cold, page_cold, one_edit = best["bare"], best["cold"], best["page-cold"], best["one edit"]
            # The other article's page, read before and after an edit to this one: the same copy
            # (same ETag), and nothing of it rendered again.
            before = client.get(other.get_absolute_url())["ETag"]
            edit_one()
            with mock.patch.object(rendering, "_paragraph", wraps=rendering._paragraph) as paragraphs:
                other_ms = timed(client, other.get_absolute_url(), lambda: None)
                after = client.get(other.get_absolute_url())["ETag"]
            untouched = before == after and paragraphs.call_count == 0
            rows.append((size, bare_ms, cold, page_cold, one_edit, other_ms, untouched, cold_queries))

        print(
            f"{'claims':>7} {'bare ms':>8} {'cold ms':>8} {'page-cold ms':>13} {'one edit ms':>12}"
            f" {'other article ms':>17} {'untouched':>10} {'queries (cold)':>15}"
        )
        for size, bare_ms, cold, page_cold, one_edit, other_ms, untouched, queries in rows:
            print(
                f"{size:>7} {bare_ms:>8.1f} {cold:>8.1f} {page_cold:>13.1f} {one_edit:>12.1f}"
                f" {other_ms:>17.1f} {'yes' if untouched else 'NO':>10} {queries:>15}"
            )
        print()
        by_size = {row[0]: row for row in rows}

        def check(label, value, target):
            print(f"{label} = {value:.2f} (target <= {target}: {'met' if value <= target else 'NOT MET'})")

        for size, bare_ms, cold, _page_cold, one_edit, _other, _untouched, _queries in rows:
            print(f"{size} claims: cold / bare = {cold / bare_ms:.2f}, one edit / cold = {one_edit / cold:.2f}")
        if 100 in by_size:
            check("cold 100 / bare 100", by_size[100][2] / by_size[100][1], 2)
        if 100 in by_size and 1000 in by_size:
            check("cold 1000 / cold 100", by_size[1000][2] / by_size[100][2], 10)
        if 1000 in by_size:
            check("one edit 1000 / cold 1000", by_size[1000][4] / by_size[1000][2], 0.25)
        print(f"other article untouched by an edit: {'yes' if all(row[6] for row in rows) else 'NO'}")
        print(f"most queries (cold render): {max(row[7] for row in rows)} (target <= 4)")
    finally:
        runner.teardown_databases(databases)


if __name__ == "__main__":
    main()
