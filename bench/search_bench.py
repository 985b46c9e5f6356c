#!/usr/bin/env python
"""Search cost: a one-word query against a hundred-word one, through the claims list (/claims/?q=).

    .venv/bin/python bench/search_bench.py [--sqlite-claims 5000] [--pg-claims 100000] [--rounds 9] [--skip-pg]

Two databases, each built afresh with the sample-data builders (claims/tests/sampledata.py, articles of
5,000 claims, every sentence a claim with a verdict note):
- SQLite: the essay (manage.py load_essay) plus --sqlite-claims claims;
- PostgreSQL (127.0.0.1:5432, database hm_search_bench, dropped and made again): --pg-claims
  claims, with migration 0014's trigram index.
Each query is asked --rounds times (medians, in milliseconds): through Django's test client (the
whole page: the form, its count and its first page of 50, rendered), and as the search's queries
alone (the count and the first 50). "Before issue 26" runs the search it replaced (one substring
filter per word, each normalising every claim's text again, 200 characters allowed) on the same
data, for comparison.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_URL = os.environ.get("BENCH_SEARCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hm_search_bench")
ARTICLE_SIZE = 5000

# Every sample sentence is "第{i}の文では、モデル{i % 97}の首都における性能が{i}点だと述べています。"
QUERIES = {
    "1 word, in every claim (首都)": "首都",
    "1 word, in a few claims (第4321の文)": "第4321の文",
    "100 words, one repeated (首都 ×100)": " ".join(["首都"] * 100),
    "33 words, one repeated (首都 ×33, 98 characters)": " ".join(["首都"] * 33),
    "100 distinct one-character words (refused)": " ".join(chr(0x4E00 + i) for i in range(100)),
    "8 distinct words, each in every claim (the most accepted)": "第 文 では モデル 首都 における 性能 述べ",
}


def create_database(url):
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def build(claims, *, essay):
    from django.core.management import call_command

    from claims.models import Claim
    from claims.tests.sampledata import make_sample_article

    call_command("collectstatic", interactive=False, verbosity=0)  # the pages name hashed static files
    call_command("migrate", verbosity=0)
    if essay:
        call_command("load_essay", verbosity=0)
    started = time.monotonic()
    for number in range(0, claims, ARTICLE_SIZE):
        make_sample_article(min(ARTICLE_SIZE, claims - number), slug=f"search-bench-{number // ARTICLE_SIZE}")
    print(f"  built {claims:,} claims in {time.monotonic() - started:.0f} s", file=sys.stderr)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum does after a load: the planner's statistics
    return Claim.objects.public().count()


def before(query):
    """The search issue 26 replaced: one filter per word, each normalising the text again."""
    from django.db.models import CharField, Value
    from django.db.models.functions import Concat

    from claims.models import Claim
    from claims.search import NFKC, nfkc

    claims = Claim.objects.public().annotate(
        search_text=NFKC(Concat("statement", Value("\n"), "verdict_note", output_field=CharField()))
    )
    for word in nfkc(query).split():
        claims = claims.filter(search_text__contains=word)
    return claims


def median_ms(rounds, call):
    times = []
    for _round in range(rounds):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def query_alone(claims):
    """What the list reads of a search: the count and the first page of 50."""
    found = claims.count()
    list(claims.order_by("pk")[:50])
    return found


def measure(rounds, before_rounds):
    from django.core.exceptions import ValidationError
    from django.test import Client

    from claims.models import Claim
    from claims.search import search_claims, validate_query

    client = Client()
    rows = []
    for label, query in QUERIES.items():
        page_ms, response = median_ms(rounds, lambda query=query: client.get("/claims/", {"q": query}))
        assert response.status_code == 200, response.status_code
        refused = bool(response.context["form"].errors.get("q"))
        try:
            validate_query(query)
            query_ms, found = median_ms(
                rounds, lambda query=query: query_alone(search_claims(Claim.objects.public(), query))
            )
        except ValidationError:
            query_ms, found = 0.0, 0
        before_ms, _found = median_ms(before_rounds, lambda query=query: query_alone(before(query)))
        rows.append(
            {
                "query": label,
                "page": page_ms,
                "query_ms": query_ms,
                "before": before_ms,
                "found": found,
                "refused": refused,
            }
        )
    return {"claims": Claim.objects.public().count(), "rows": rows}


def worker(kind, claims, rounds, before_rounds):
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # response.context for the claims found
    built = build(claims, essay=kind == "sqlite")
    result = measure(rounds, before_rounds)
    result["built"] = built
    print(json.dumps(result, ensure_ascii=False))


def run(kind, claims, rounds, before_rounds, tmp):
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="hundredmodels.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="search-bench-" + "x" * 40,
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_SECURE_SSL_REDIRECT="0",
        CLAIMS_SEARCHES_PER_MINUTE="1000000/minute",
        DJANGO_STATIC_ROOT=str(Path(tmp) / "static"),
    )
    env.pop("REDIS_URL", None)
    if kind == "sqlite":
        database = Path(tmp) / "search_bench.sqlite3"
        database.unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{database}"
    else:
        create_database(PG_URL)
        env["DATABASE_URL"] = PG_URL
    output = subprocess.run(
        [
            *(sys.executable, __file__, "--worker", kind, "--claims", str(claims)),
            *("--rounds", str(rounds), "--before-rounds", str(before_rounds)),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    sys.stderr.write(output.stderr[-3000:])
    output.check_returncode()
    return json.loads(output.stdout.strip().splitlines()[-1])


def table(title, result):
    one = next(row for row in result["rows"] if row["query"].startswith("1 word, in every"))
    lines = [
        f"{title}: {result['claims']:,} public claims",
        "",
        "| query | page, ms | × one word | search query, ms | before issue 26, ms | claims found |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in result["rows"]:
        found = "refused, with a message" if row["refused"] else f"{row['found']:,}"
        lines.append(
            f"| {row['query']} | {row['page']:.1f} | {row['page'] / one['page']:.2f} | {row['query_ms']:.1f} "
            f"| {row['before']:.1f} | {found} |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sqlite-claims", type=int, default=5000)
    parser.add_argument("--pg-claims", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--before-rounds", type=int, default=3, help="rounds of the replaced search (slow)")
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--worker", choices=["sqlite", "postgresql"])
    parser.add_argument("--claims", type=int)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.claims, args.rounds, args.before_rounds)
        return
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print(
            table(
                "SQLite, the essay plus sample claims",
                run("sqlite", args.sqlite_claims, args.rounds, args.before_rounds, tmp),
            )
        )
        if not args.skip_pg:
            print()
            print(table("PostgreSQL", run("postgresql", args.pg_claims, args.rounds, args.before_rounds, tmp)))


if __name__ == "__main__":
    main()
