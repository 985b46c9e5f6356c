#!/usr/bin/env python3
"""Peak memory of `manage.py import_claims` on big files: it should not grow with the file.

    .venv/bin/python bench/import_memory_bench.py                          # 50,000 and 100,000 rows, SQLite
    .venv/bin/python bench/import_memory_bench.py --rows 100000 --postgres postgres://postgres@127.0.0.1:5432/hm_28_mem

For each size it writes a file of new claims (the rows of bench/csv_bench.py: two links and two
tags each, three in four with a status), copies a database that holds the articles and no claims,
and runs `manage.py import_claims FILE --no-progress` in a subprocess (sign-off off, as for a
one-person desk; --sign-off: on, so the verdicts become one batch of proposals). It prints the
subprocess's peak resident set (ru_maxrss from os.wait4, the whole process: Python, Django and
the import) and its seconds, then checks that every claim was written.
"""

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))


def admin_sql(url, *statements):
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def pg_url(url, name):
    return urlsplit(url)._replace(path=f"/{name}").geturl()


def prepare(env, rows, work):
    """The template database (articles, no claims) and the file, in a subprocess of their own."""
    code = f"""
import sys; sys.path[:0] = {[str(ROOT / "bench"), str(ROOT)]!r}
import os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "hundredmodels.settings"
django.setup()
import csv_bench
from django.core.management import call_command
from claims.models import Article
call_command("migrate", verbosity=0)
count = ({max(rows)} + csv_bench.SENTENCES_PER_ARTICLE - 1) // csv_bench.SENTENCES_PER_ARTICLE
Article.objects.bulk_create(
    Article(slug=f"bench-{{a}}", title=f"bench {{a}}", lead="", body=csv_bench.article_body(a), is_published=True)
    for a in range(count)
)
for size in {rows!r}:
    csv_bench.write_file("{work}/claims-%d.csv" % size, size)
"""
    subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True)


def run_import(env, path):
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "import_claims", str(path), "--no-progress"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    out, err = process.stdout.read().decode(), process.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"import_claims failed:\n{out}\n{err[-3000:]}")
    return seconds, usage.ru_maxrss / 1024, out.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[50_000, 100_000])
    parser.add_argument("--postgres", help="a PostgreSQL URL whose database (and NAME_template) this script may drop")
    parser.add_argument("--sign-off", action="store_true", help="with sign-off on: the verdicts become proposals")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as work:
        env = {
            **os.environ,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
            "DJANGO_ALLOWED_HOSTS": "localhost",
            "CLAIMS_SIGN_OFF": "1" if args.sign_off else "0",
            "CLAIMS_IMPORT_MAX_BYTES": str(1 << 30),
        }
        env.pop("REDIS_URL", None)
        if args.postgres:
            name = urlsplit(args.postgres).path.lstrip("/")
            template = f"{name}_template"
            admin_sql(
                args.postgres, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)', f'CREATE DATABASE "{template}"'
            )
            prepare({**env, "DATABASE_URL": pg_url(args.postgres, template)}, args.rows, work)
        else:
            template = Path(work) / "template.sqlite3"
            prepare({**env, "DATABASE_URL": f"sqlite:///{template}"}, args.rows, work)
        for rows in args.rows:
            if args.postgres:
                admin_sql(
                    args.postgres,
                    f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                    f'CREATE DATABASE "{name}" TEMPLATE "{template}"',
                )
                url = args.postgres
            else:
                database = Path(work) / f"import-{rows}.sqlite3"
                shutil.copy(template, database)
                url = f"sqlite:///{database}"
            path = Path(work) / f"claims-{rows}.csv"
            seconds, peak, out = run_import({**env, "DATABASE_URL": url}, path)
            print(f"{rows:,} rows: {seconds:.0f} s, peak {peak:.0f} MB; {out}", file=sys.stderr, flush=True)
            results.append((rows, path.stat().st_size / 2**20, seconds, peak))
            if not args.postgres:
                database.unlink()
        if args.postgres:
            admin_sql(
                args.postgres,
                f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)',
            )
    print(f"{'PostgreSQL' if args.postgres else 'SQLite'}, sign-off {'on' if args.sign_off else 'off'}")
    print("| rows | file | seconds | peak RSS of import_claims |")
    print("|---:|---:|---:|---:|")
    for rows, size, seconds, peak in results:
        print(f"| {rows:,} | {size:.1f} MB | {seconds:.0f} | {peak:.0f} MB |")


if __name__ == "__main__":
    main()
