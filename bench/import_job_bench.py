#!/usr/bin/env python3
"""A big CSV import through the admin, as an editor does it: upload and preview, confirm, the job.

    .venv/bin/python bench/import_job_bench.py                       # 40,000 rows on SQLite
    .venv/bin/python bench/import_job_bench.py --rows 40000 100000 --postgres postgres://postgres@127.0.0.1:5432/x
    .venv/bin/python bench/import_job_bench.py --rows 100000 --preview-only

For each size it makes a fresh database with the articles (1,000 sentences each) and no claims,
writes a file of new claims (two links and two tags each, three in four with a status: the rows of
bench/csv_bench.py), then runs each step in its own fresh process and prints one table row per step:

  preview   the admin's upload page posted with the file (checks every row, writes nothing)
  confirm   the preview's confirm button: the request queues the job and answers with its page
  job       manage.py db_worker --batch: the worker runs the import (every row checked again,
            then one transaction); meanwhile this script reads the job's progress every 0.5 s,
            as the job's page does

Seconds are wall-clock for the step. Peak RSS is the process's high-water mark (VmHWM), and
"growth" is that peak less the resident set just before the step (Django and the app loaded).
"""

import argparse
import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))


def rss_kib(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def reset_peak():
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hundredmodels.settings")
    import django

    django.setup()


# ---------------------------------------------------------------------------------------------
# Steps, each in a fresh process


def step_prepare(work, rows):
    setup_django()
    import csv_bench
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from claims.models import Article

    call_command("migrate", verbosity=0)
    articles = (rows + csv_bench.SENTENCES_PER_ARTICLE - 1) // csv_bench.SENTENCES_PER_ARTICLE
    Article.objects.bulk_create(
        Article(slug=f"bench-{a}", title=f"bench {a}", lead="", body=csv_bench.article_body(a), is_published=True)
        for a in range(articles)
    )
    get_user_model().objects.create_superuser("bench", "", secrets.token_urlsafe(16))
    csv_bench.write_file(Path(work) / "claims.csv", rows)
    return {}


def client():
    from django.contrib.auth import get_user_model
    from django.test import Client

    c = Client(raise_request_exception=False)
    c.cookies["django_language"] = "en"
    c.force_login(get_user_model().objects.get(username="bench"))
    return c


def step_preview(work, rows):
    setup_django()
    from django.urls import reverse

    from claims.tests.pages import page_form

    c = client()
    reset_peak()
    before = rss_kib("VmRSS")
    start = time.perf_counter()
    # The file goes from disk into the request, as a browser's upload does; the test client still
    # builds the whole request body in this process (a copy of the file a real server never holds).
    with open(Path(work) / "claims.csv", "rb") as upload:
        response = c.post(reverse("admin:claims_claim_import"), {"format": "0", "resource": "0", "import_file": upload})
    seconds = time.perf_counter() - start
    assert response.status_code == 200, response.content[:2000]
    form = page_form(response, having="import_file_name")  # the confirm button's form, as a browser reads it
    confirm = {name: values[0] for name, values in form.items() if not name.startswith("__")}
    (Path(work) / "confirm.json").write_text(json.dumps(confirm))
    return {"seconds": seconds, "peak": rss_kib("VmHWM"), "growth": rss_kib("VmHWM") - before}


def step_confirm(work, rows):
    setup_django()
    from django.urls import reverse

    c = client()
    confirm = json.loads((Path(work) / "confirm.json").read_text())
    reset_peak()
    before = rss_kib("VmRSS")
    start = time.perf_counter()
    response = c.post(reverse("admin:claims_claim_process_import"), confirm)
    seconds = time.perf_counter() - start
    assert response.status_code == 302 and "/import/job/" in response["Location"], response
    return {"seconds": seconds, "peak": rss_kib("VmHWM"), "growth": rss_kib("VmHWM") - before}


def step_job(work, rows):
    setup_django()
    from django.core.management import call_command

    reset_peak()
    before = rss_kib("VmRSS")
    start = time.perf_counter()
    # The import job only: its commit queues the archiving of every new evidence link (claims/archiving.py),
    # which fetches each source and is not what this measures.
    call_command("db_worker", batch=True, max_tasks=1, reload=False, startup_delay=False, interval=0, verbosity=0)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak": rss_kib("VmHWM"), "growth": rss_kib("VmHWM") - before}


STEPS = {"prepare": step_prepare, "preview": step_preview, "confirm": step_confirm, "job": step_job}


def run_step(name, work, rows, env, *, watch=False):
    command = [sys.executable, str(Path(__file__).resolve()), "--step", name, "--work", str(work), "--rows", str(rows)]
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    samples = []
    if watch:
        while process.poll() is None:
            samples.append(job_progress(env))
            time.sleep(0.5)
    out, _ = process.communicate()
    if process.returncode:
        raise SystemExit(f"step {name} failed")
    result = json.loads(out.strip().splitlines()[-1])
    result["samples"] = samples
    return result


def job_progress(env):
    """The job's (state, rows checked), read as its page reads it while it runs: from the progress
    file beside the upload; once it ended, from the task's result row."""
    for path in Path(env["CLAIMS_IMPORT_UPLOAD_DIR"]).glob("*.progress"):
        with contextlib.suppress(OSError, ValueError):
            progress = json.loads(path.read_text())
            return (progress["state"], progress["rows_checked"])
    query = (
        "SELECT status, return_value FROM django_tasks_database_dbtaskresult"
        " WHERE task_path LIKE 'claims.csv.jobs.%' ORDER BY enqueued_at DESC LIMIT 1"
    )
    url = env["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        import sqlite3

        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"), timeout=5)) as conn:
            row = conn.execute(query).fetchone()
    else:
        import psycopg

        with psycopg.connect(url) as conn:
            row = conn.execute(query).fetchone()
    if not row:
        return ()
    value = json.loads(row[1]) if isinstance(row[1], str) else row[1]
    return (value["state"] if value else row[0].lower(), value.get("rows_checked", 0) if value else 0)


def bench(rows, database_url, log, steps=("preview", "confirm", "job")):
    with tempfile.TemporaryDirectory() as work:
        env = {
            **os.environ,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "CLAIMS_SIGN_OFF": "0",
            "CLAIMS_IMPORT_MAX_BYTES": str(1 << 30),
            "CLAIMS_IMPORT_UPLOAD_DIR": str(Path(work) / "uploads"),
            "DATABASE_URL": database_url or f"sqlite:///{work}/bench.sqlite3",
        }
        env.pop("REDIS_URL", None)
        if database_url:
            reset_postgres(database_url)
        run_step("prepare", work, rows, env)
        size = (Path(work) / "claims.csv").stat().st_size
        results = []
        for name in steps:
            result = run_step(name, work, rows, env, watch=name == "job")
            results.append((name, result))
            log(f"  {name}: {result['seconds']:.1f} s, peak {result['peak'] / 1024:.0f} MB")
        final = job_progress(env)
        if database_url:
            reset_postgres(database_url, create=False)
        return size, results, final


def reset_postgres(url, create=True):
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[40_000])
    parser.add_argument("--postgres", help="a PostgreSQL URL whose database this script may drop and create")
    parser.add_argument("--preview-only", action="store_true", help="upload and preview, no confirm or job")
    parser.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(STEPS[args.step](args.work, args.rows[0])))
        return

    def log(message):
        print(message, file=sys.stderr, flush=True)

    table = [
        "| Database | Rows | File | Step | Seconds | Peak RSS | Growth | Progress seen by the page |",
        "|---|---:|---:|---|---:|---:|---:|---|",
    ]
    for database in ["SQLite"] + (["PostgreSQL"] if args.postgres else []):
        for rows in args.rows:
            log(f"{database}, {rows:,} rows")
            steps = ("preview",) if args.preview_only else ("preview", "confirm", "job")
            size, results, final = bench(rows, args.postgres if database == "PostgreSQL" else None, log, steps)
            for name, result in results:
                seen = ""
                if result["samples"]:
                    states = [s for s in result["samples"] if s]
                    checked = sorted({s[1] for s in states if s[0] == "checking"})
                    seen = (
                        f"{len(states)} reads: checking at {', '.join(f'{c:,}' for c in checked[:6])}"
                        f"{' …' if len(checked) > 6 else ''}; writing seen: {'yes' if any(s[0] == 'writing' for s in states) else 'no'}; "
                        f"ended {final[0]}"
                    )
                table.append(
                    f"| {database} | {rows:,} | {size / 2**20:.1f} MB | {name} | {result['seconds']:.1f} | "
                    f"{result['peak'] / 1024:.0f} MB | {result['growth'] / 1024:.0f} MB | {seen} |"
                )
    print("\n".join(table))


if __name__ == "__main__":
    main()
