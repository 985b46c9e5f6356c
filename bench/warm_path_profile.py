#!/usr/bin/env python
"""Where a warm page's time goes: Django's WSGI handler called in this process, no server, no wrk.

    .venv/bin/python bench/warm_path_profile.py [--requests 3000] [--size 10] [--profile]

On PostgreSQL and Redis as bench/page_bench.py (its BENCH_DATABASE_URL and BENCH_REDIS_URL), it
makes the sample article of --size claims, requests its page once (the render that stores it),
then times --requests warm requests of the page and of the same bytes saved as a static file,
alternating, each through the whole WSGI handler and middleware, and prints microseconds per
request and the Redis commands a warm request sent. With --profile it prints cProfile's top
functions of the warm page requests.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def environ(path):
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8765",
        "HTTP_HOST": "127.0.0.1:8765",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--size", type=int, default=10)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    import page_bench

    os.environ.update(page_bench.ENV)
    page_bench.create_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command

    from claims.tests.sampledata import make_sample_article

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    slug = f"sample-{args.size}"
    from claims.models import Article

    article = Article.objects.filter(slug=slug).first() or make_sample_article(args.size, slug=slug)
    cache.clear()
    handler = WSGIHandler()
    statuses = []

    def start_response(status, headers):
        statuses.append(status)

    def get(path):
        body = b"".join(handler(environ(path), start_response))
        return body

    page = article.get_absolute_url()
    html = get(page)
    static_dir = Path(settings.STATIC_ROOT) / "bench"
    static_dir.mkdir(parents=True, exist_ok=True)
    (static_dir / "page.html").write_bytes(html)
    # WhiteNoise indexes STATIC_ROOT when the handler starts: a handler made after the file exists.
    handler = WSGIHandler()
    get(page)
    static = "/static/bench/page.html"
    assert get(static) == html, "the static copy is the page's bytes"
    client = cache._cache.get_client(write=False)
    timings = {"page": 0.0, "static": 0.0}
    for _round in range(2):  # warm both, then measure
        timings = {"page": 0.0, "static": 0.0}
        for _n in range(args.requests):
            for name, path in (("page", page), ("static", static)):
                started = time.perf_counter()
                get(path)
                timings[name] += time.perf_counter() - started
    before = client.info("commandstats")
    get(page)
    after = client.info("commandstats")
    commands = {
        name.removeprefix("cmdstat_"): after[name]["calls"] - before.get(name, {}).get("calls", 0)
        for name in after
        if after[name]["calls"] != before.get(name, {}).get("calls", 0)
    }
    print(f"article of {args.size} claims, {len(html):,} bytes; {args.requests} requests each, in process")
    for name, seconds in timings.items():
        print(f"  {name:6} {seconds / args.requests * 1e6:8.0f} µs per request")
    print(f"  ratio  {timings['static'] / timings['page']:.2f} (static time / page time)")
    print(f"  Redis commands of one warm page request: {commands or 'none'} (INFO itself excluded: {{'info': 1}})")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _n in range(args.requests):
            get(page)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
