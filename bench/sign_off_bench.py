#!/usr/bin/env python3
"""Sign-off at scale: the proposals list and approving a whole import batch, as a chief editor.

    .venv/bin/python bench/sign_off_bench.py                          # 5,000 proposals on SQLite
    .venv/bin/python bench/sign_off_bench.py --proposals 5000 --postgres postgres://postgres@127.0.0.1:5432/hm_28_bench

It makes a fresh database with the articles (1,000 sentences each), imports a file of new claims
(the rows of bench/csv_bench.py) with sign-off on, as one chief editor: one batch of proposals.
Then another chief editor, through the rendered admin (Django's test client, DEBUG off):

  list (first)        the proposals list, the first request after the import
  list                the same page again (median of 5)
  list of the batch   the list filtered to the batch (median of 5)
  approve: confirm    "select all" and the approve action: the confirmation page
  approve: queue      the confirmation's button: the job is queued, the answer is its page
  job                 manage.py db_worker --batch running it (every proposal through
                      services.proposal_approve); with --no-job it is not run

and prints one table row per step with the seconds and the queries of each request.
"""

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))


def reset_postgres(url, create=True):
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')


def timed(function):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = function()
        seconds = time.perf_counter() - started
    if response.status_code not in (200, 302):
        raise SystemExit(f"HTTP {response.status_code}")
    return seconds, len(queries), response


def run(proposals, work, env, run_job):
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "hundredmodels.settings"
    import django

    django.setup()
    import csv_bench
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from claims.csv import importing
    from claims.models import Article, Proposal
    from claims.roles import CHIEF_EDITORS

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # the admin's pages name hashed files
    articles = (proposals + csv_bench.SENTENCES_PER_ARTICLE - 1) // csv_bench.SENTENCES_PER_ARTICLE
    Article.objects.bulk_create(
        Article(slug=f"bench-{a}", title=f"bench {a}", lead="", body=csv_bench.article_body(a), is_published=True)
        for a in range(articles)
    )
    chiefs = Group.objects.get(name=CHIEF_EDITORS)
    users = []
    for name in ("proposer", "approver"):
        user = get_user_model().objects.create_user(name, "", secrets.token_urlsafe(16), is_staff=True)
        user.groups.add(chiefs)
        users.append(user)
    path = Path(work) / "claims.csv"
    csv_bench.write_file(path, proposals)
    started = time.perf_counter()
    report = importing.import_bytes(path.read_bytes(), user=users[0], file_name="claims.csv", propose=True)
    print(f"import with sign-off: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    if report.errors:
        raise SystemExit(str(report.errors[:5]))
    batch = report.batch
    count = Proposal.objects.open().filter(batch=batch).count()
    client = Client(raise_request_exception=False)
    client.force_login(users[1])
    changelist = reverse("admin:claims_proposal_changelist")
    rows = []
    seconds, queries, _ = timed(lambda: client.get(changelist))
    rows.append(("list (first)", seconds, queries))
    runs = [timed(lambda: client.get(changelist)) for _ in range(5)]
    rows.append(("list (median of 5)", statistics.median(r[0] for r in runs), runs[0][1]))
    runs = [timed(lambda: client.get(changelist, {"batch": batch})) for _ in range(5)]
    rows.append(("list of the batch (median of 5)", statistics.median(r[0] for r in runs), runs[0][1]))
    page = Proposal.objects.open().filter(batch=batch).values_list("pk", flat=True)[:100]
    action = {"action": "approve_action", "select_across": "1", "index": "0", "_selected_action": list(page)}
    url = f"{changelist}?batch={batch}"
    seconds, queries, response = timed(lambda: client.post(url, action))
    rows.append(("approve all: the confirmation page", seconds, queries))
    seconds, queries, response = timed(lambda: client.post(url, {**action, "confirm": "yes"}))
    rows.append(("approve all: queue the job, answer", seconds, queries))
    if run_job:
        from django.db import connections

        connections.close_all()
        started = time.perf_counter()
        subprocess.run([sys.executable, "manage.py", "db_worker", "--batch", "--interval", "0"], cwd=ROOT, check=True)
        rows.append(("job: db_worker approving the batch", time.perf_counter() - started, None))
        left = Proposal.objects.open().filter(batch=batch).count()
        print(f"open proposals left in the batch: {left}", file=sys.stderr)
    return count, rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=5000)
    parser.add_argument("--postgres", help="a PostgreSQL URL whose database this script may drop and create")
    parser.add_argument("--no-job", action="store_true", help="do not run the worker")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        env = {
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "CLAIMS_SIGN_OFF": "1",
            "CLAIMS_IMPORT_MAX_BYTES": str(1 << 30),
            "DATABASE_URL": args.postgres or f"sqlite:///{work}/bench.sqlite3",
            "DJANGO_STATIC_ROOT": f"{work}/static",
        }
        os.environ.pop("REDIS_URL", None)
        if args.postgres:
            reset_postgres(args.postgres)
        count, rows = run(args.proposals, work, env, not args.no_job)
    database = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{database}, {count:,} open proposals in one import batch")
    print("| step | seconds | queries |")
    print("|---|---:|---:|")
    for name, seconds, queries in rows:
        print(f"| {name} | {seconds:.2f} | {'' if queries is None else queries} |")


if __name__ == "__main__":
    main()
