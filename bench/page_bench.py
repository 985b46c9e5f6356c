#!/usr/bin/env python
"""Page speed: cold render, query count and warm throughput of the article page, against a static file.

    .venv/bin/python bench/page_bench.py [--duration 20] [--connections 64] [--write docs/performance.md]

For articles of 10, 100 and 1,000 claims (two evidence links and two tags each) it measures, in
one run, on PostgreSQL with the Redis cache (the production settings of `python3 dev.py prod`):
- the cold render time of the article page (cache empty, median of 9, sizes taking turns) and its
  query count;
- throughput and p50/p99 latency under wrk (64 connections, 20 s) against gunicorn, warm, in three
  rounds that alternate with the static baseline (the median round is reported);
- the baseline: the same page's HTML saved as a static file and served by the same gunicorn +
  WhiteNoise stack, the physical limit for this stack.
It needs PostgreSQL on 127.0.0.1:5432, Redis on 127.0.0.1:6379 and Debian's wrk.
"""

import argparse
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SIZES = [10, 100, 1000]
PORT = int(os.environ.get("BENCH_PORT", "8765"))
COLD_ROUNDS = 9
ENV = {
    "DJANGO_SETTINGS_MODULE": "hundredmodels.settings",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hundredmodels_bench"),
    "DATABASE_POOL": "1",
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
}


def create_database(url):
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def prepare():
    """A fresh bench database with the sample articles; returns {size: path}."""
    import django

    django.setup()
    from django.core.management import call_command

    from claims.tests.sampledata import make_sample_article

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    paths = {}
    for size in SIZES:
        article = make_sample_article(size, slug=f"sample-{size}")
        paths[size] = article.get_absolute_url()
    return paths


def cold_render(paths):
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from claims.caching.pages import local_pages

    client = Client()
    times = {size: [] for size in paths}
    results = {}
    # The sizes take turns, nine rounds, so that a slow spell of the machine falls on all of them.
    for _round in range(COLD_ROUNDS):
        for size, path in paths.items():
            cache.clear()
            local_pages.pages.clear()
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                response = client.get(path)
                times[size].append(time.perf_counter() - start)
            assert response.status_code == 200, (path, response.status_code)
            results[size] = {"queries": len(ctx.captured_queries), "html": response.content}
    for size in paths:
        results[size]["cold_ms"] = statistics.median(times[size]) * 1000
    return results


def wrk(url, duration, connections):
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def latency(label):
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "requests": requests,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "errors": sum(int(n) for n in errors.groups()) if errors else 0,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3, help="wrk runs of each URL; the median is reported.")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="Comma-separated claim counts.")
    parser.add_argument("--write", help="Replace the page-speed section of this Markdown file with the table.")
    args = parser.parse_args()
    SIZES[:] = [int(size) for size in args.sizes.split(",")]
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    os.environ.update(ENV)
    create_database(ENV["DATABASE_URL"])
    paths = prepare()

    from django.conf import settings
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)  # the pages name hashed files
    cold = cold_render(paths)
    static_dir = Path(settings.STATIC_ROOT) / "bench"
    static_dir.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        (static_dir / f"article-{size}.html").write_bytes(cold[size]["html"])

    from django.core.cache import cache

    cache.clear()
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{PORT}"],
        cwd=ROOT,
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{PORT}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/health/", timeout=1)
                break
            except Exception:
                time.sleep(0.2)
        runs = {size: ([], []) for size in SIZES}
        # Article and static runs alternate, round after round, so that a slow spell of a shared
        # machine falls on both; the table gives the median run of each.
        for _round in range(args.rounds):
            for size in SIZES:
                page = base + paths[size]
                static = f"{base}{settings.STATIC_URL}bench/article-{size}.html"
                for url in (page, static):
                    for _ in range(20):  # warm every worker's connection pool and the shared cache
                        urllib.request.urlopen(url, timeout=10).read()
                runs[size][0].append(wrk(page, args.duration, args.connections))
                runs[size][1].append(wrk(static, args.duration, args.connections))
        rows = [(size, cold[size], median_run(runs[size][0]), median_run(runs[size][1])) for size in SIZES]
    finally:
        server.terminate()
        server.wait(timeout=30)

    table = format_table(rows, args)
    print(table)
    if args.write:
        replace_section(Path(args.write), table)


def median_run(results):
    """The run with the median throughput, with the errors of every run added up."""
    run = dict(sorted(results, key=lambda result: result["rps"])[len(results) // 2])
    run["non2xx"] = sum(result["non2xx"] for result in results)
    run["errors"] = sum(result["errors"] for result in results)
    run["all_rps"] = [result["rps"] for result in results]
    return run


def format_table(rows, args):
    lines = [
        "## Page speed: the article page against a static file",
        "",
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}; gunicorn workers: "
        f"{os.environ.get('GUNICORN_WORKERS', str(os.cpu_count() * 2 + 1))}; PostgreSQL (pooled) and Redis on localhost; "
        f"wrk -t2 -c{args.connections} -d{args.duration}s on the same machine, article and static runs alternating, "
        f"{args.rounds} rounds; each cell is the median round (the ratio's range over the rounds in brackets).",
        "Reproduce: `.venv/bin/python bench/page_bench.py --write docs/performance.md`",
        "",
        "| claims | cold render (ms) | queries | article req/s | p50 (ms) | p99 (ms) | static req/s | static p50 (ms) | static p99 (ms) | ratio to static | non-2xx / errors |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, cold, dyn, base in rows:
        lines.append(
            f"| {size} | {cold['cold_ms']:.1f} | {cold['queries']} | {dyn['rps']:.0f} | {dyn['p50']:.2f} | {dyn['p99']:.2f} | "
            f"{base['rps']:.0f} | {base['p50']:.2f} | {base['p99']:.2f} | {dyn['rps'] / base['rps']:.2f} "
            f"({ratio_range(dyn, base)}) | "
            f"{dyn['non2xx'] + base['non2xx']} / {dyn['errors'] + base['errors']} |"
        )
    cold = {size: c["cold_ms"] for size, c, _d, _b in rows}
    lines.append("")
    if 100 in cold and 1000 in cold:
        lines.append(f"Cold render, 1,000 claims against 100: {cold[1000] / cold[100]:.1f}× (target: at most 12×).")
    lines.append(
        "Targets for warm throughput: at least 0.7 of the static baseline; zero errors and zero non-2xx responses."
    )
    return "\n".join(lines) + "\n"


def ratio_range(dyn, base):
    ratios = [d / b for d, b in zip(dyn["all_rps"], base["all_rps"], strict=True)]
    return f"{min(ratios):.2f}–{max(ratios):.2f}"


def replace_section(path, table):
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    heading = "## Page speed"
    start = text.find(heading)
    if start == -1:
        text = text.rstrip() + "\n\n" + table
    else:
        end = text.find("\n## ", start + len(heading))
        text = text[:start] + table + (text[end + 1 :] if end != -1 else "")
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
