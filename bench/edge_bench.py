#!/usr/bin/env python
"""Behind Varnish while an editor saves: how soon a save is visible at the edge, and never stale.

    .venv/bin/python bench/edge_bench.py [--duration 30] [--connections 64] [--markdown FILE]

The stack of bench/load_under_edits.py (gunicorn with the production settings, PostgreSQL with
psycopg's pool, Redis; its own database hundredmodels_edge, flushed, then `load_essay`) with
Varnish in front (deploy/varnish.vcl, vmod_xkey; Debian's varnish and varnish-modules) and the
app purging it (EDGE_PURGE_BACKEND=varnish). Everything listens on 127.0.0.1 only.

- wrk -t2 -c64 --latency, for --duration seconds, through Varnish on a Lua mix of `/`,
  `/claims/` and the pages of the claims being edited;
- at the same time an editor saves those claims through the admin change form (straight to
  gunicorn, as the admin is never cached), with a new verdict note each time and every other
  save of a claim a status change. After each save (once the POST has returned) it reads the
  claim's page and `/` through Varnish, as a reader, every 5 ms until both show the save (the
  time from the save to the first fresh read of each, at most 5 s), then reads each 5 more times:
  any of those showing an older verdict is a stale read after the purge;
- then Varnish's counters give the hit ratio of the run; the fair baseline follows: the same mix
  with nobody editing, then the same pages' bytes saved as static files (rendered before gunicorn
  starts) through the same Varnish, in the same Lua mix; their ratio is the edge's cost of a page
  over a file of the same size. /static/css/site.css (a small file) is measured last, as before.

Exits 1 if a save was refused or lost, a read was stale, a save took more than 1 s to be seen,
or wrk saw errors. Needs PostgreSQL on 127.0.0.1:5432, Redis on 127.0.0.1:6379 (it empties
database 12), wrk and varnishd.
"""

import argparse
import gzip
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import load_under_edits as base_bench

ROOT = base_bench.ROOT
DATABASE_URL = os.environ.get("EDGE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hundredmodels_edge")
REDIS_URL = os.environ.get("EDGE_REDIS_URL", "redis://127.0.0.1:6379/12")
POLL = 0.005
VISIBLE_WITHIN = 5.0
READS_AFTER = 5


def start_varnish(workdir, port, backend_port):
    vcl = (ROOT / "deploy/varnish.vcl").read_text().replace('.port = "8000"', f'.port = "{backend_port}"')
    vcl_path = Path(workdir) / "varnish.vcl"
    vcl_path.write_text(vcl)
    name = str(Path(workdir) / "varnish")
    log = open(Path(workdir) / "varnish.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [
            "varnishd",
            "-F",
            "-n",
            name,
            "-a",
            f"127.0.0.1:{port}",
            "-f",
            str(vcl_path),
            "-s",
            "malloc,256m",
            "-T",
            "none",
            # EDGE_VARNISH_JAIL=none keeps varnishd's child as the user who started it (a machine
            # whose /dev/null its own user cannot open, say).
            "-j",
            os.environ.get("EDGE_VARNISH_JAIL", "unix"),
            "-p",
            "http_resp_hdr_len=64k",
            "-p",
            "http_resp_size=128k",
            "-p",
            "workspace_backend=256k",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    process.log, process.name = log, name
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"varnishd exited with {process.returncode}; see {workdir}/varnish.log")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2).read()
            return process
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("Varnish did not answer within 20 s")


def varnish_counters(name):
    out = subprocess.run(["varnishstat", "-n", name, "-1", "-j"], capture_output=True, text=True, check=True).stdout
    data = json.loads(out)
    counters = data.get("counters", data)
    return {
        key: counters[key]["value"]
        for key in ("MAIN.cache_hit", "MAIN.cache_miss", "MAIN.cache_hitpass", "MAIN.cache_hitmiss", "MAIN.client_req")
        if key in counters
    }


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


class EdgeEditor(base_bench.Editor):
    """The bench's editor; reads go through the edge and are timed until fresh."""

    def __init__(self, *args, edge, **kwargs):
        super().__init__(*args, **kwargs)
        self.edge = edge
        self.visible = []  # seconds from the save to the first fresh read, per page read
        self.late = []  # (claim, path): not fresh within VISIBLE_WITHIN
        self.first_read_fresh = 0  # page reads fresh at the first try after the save

    def save_once(self, number):
        """Save a new verdict note through the change form (the status stays: since sign-off, a
        switch to disputed needs a refuting link, which the essay's claims do not all have)."""
        pk = self.claim_pks[number % len(self.claim_pks)]
        path = f"/admin/claims/claim/{pk}/change/"
        status, _headers, html = self.request(path)
        form = base_bench.FormParser("claim_form")
        form.feed(html)
        if status != 200 or not form.found:
            raise RuntimeError(f"GET {path}: HTTP {status}, form found: {form.found}")
        fields = dict(form.fields)
        note = f"edge-{self.run_id}-save-{number:05d}: checked behind Varnish"
        data = [(k, note if k == "verdict_note" else v) for k, v in form.fields]
        start = time.perf_counter()
        status, _headers, html = self.request(path, data)
        seconds = time.perf_counter() - start
        if status != 302:
            form = base_bench.FormParser("claim_form")
            form.feed(html)
            self.refused.append((pk, f"HTTP {status}: {form.errors or html[:300]}"))
            return
        save = base_bench.Save(pk, note, fields["status"], False, seconds, time.time())
        self.saves.append(save)
        self.check_reads(save)

    def fresh(self, save, path):
        request = urllib.request.Request(self.edge + path)
        with urllib.request.urlopen(request, timeout=base_bench.HTTP_TIMEOUT) as response:
            html = response.read().decode("utf-8")
        if path == "/":
            details = re.search(rf'<template id="claim-{save.claim}-details">(.*?)</template>', html, re.S)
            span = re.search(rf'<span class="claim claim-(\w+)" id="claim-{save.claim}">', html)
            return bool(details and save.note in details.group(1) and span and span.group(1) == save.status)
        return save.note in html and f"status-{save.status}" in html

    def check_reads(self, save):
        for path in (f"/claims/{save.claim}/", "/"):
            saved_at = time.perf_counter()  # each page timed on its own, from the save's answer
            if self.fresh(save, path):
                self.first_read_fresh += 1
                self.visible.append(time.perf_counter() - saved_at)
                self.after_fresh(save, path)
                continue
            while not self.fresh(save, path):
                if time.perf_counter() - saved_at > VISIBLE_WITHIN:
                    self.late.append((save.claim, path))
                    break
                time.sleep(POLL)
            else:
                self.visible.append(time.perf_counter() - saved_at)
                self.after_fresh(save, path)

    def after_fresh(self, save, path):
        for _ in range(READS_AFTER):
            self.reads_checked += 1
            if not self.fresh(save, path):
                self.stale.append((save.claim, path, "older verdict after a fresh read"))


def static_copies(paths):
    """Each page's bytes, rendered here before gunicorn starts, saved as a static file (WhiteNoise
    indexes the static files when it starts); returns their URLs."""
    from django.conf import settings
    from django.test import Client

    folder = Path(settings.STATIC_ROOT) / "bench" / "edge"
    folder.mkdir(parents=True, exist_ok=True)
    client = Client(HTTP_HOST="127.0.0.1")
    urls = []
    for number, path in enumerate(paths):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        (folder / f"page-{number}.html").write_bytes(response.content)
        # WhiteNoise serves a .gz beside a file to clients that accept gzip, as the app does its pages.
        (folder / f"page-{number}.html.gz").write_bytes(gzip.compress(response.content, mtime=0))
        urls.append(f"{settings.STATIC_URL.rstrip('/')}/bench/edge/page-{number}.html".replace("//", "/"))
    return [url if url.startswith("/") else "/" + url for url in urls]


def run_wrk(url, args, script=None, headers=()):
    command = ["wrk", "-t2", f"-c{args.connections}", f"-d{args.duration}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", script]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    return base_bench.parse_wrk(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--markdown", help="Also write the result table to this file.")
    args = parser.parse_args()
    for tool in ("wrk", "varnishd", "varnishstat"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: apt-get install wrk varnish varnish-modules")
    workdir = tempfile.mkdtemp(prefix="edge-bench-")
    os.chmod(workdir, 0o755)
    gunicorn_port, varnish_port = base_bench.free_port(), base_bench.free_port()
    os.environ.update(base_bench.ENV)
    os.environ.update(DATABASE_URL=DATABASE_URL, REDIS_URL=REDIS_URL, CLAIMS_SIGN_OFF="0")
    password = base_bench.secrets.token_urlsafe(16)
    base_bench.create_database(DATABASE_URL)
    claim_pks = base_bench.prepare(password)
    paths = ["/", "/claims/", *(f"/claims/{pk}/" for pk in claim_pks)]
    static_paths = static_copies(paths)
    # gunicorn purges this Varnish (the load above ran before it was there).
    os.environ.update(EDGE_PURGE_BACKEND="varnish", EDGE_PURGE_URLS=f"http://127.0.0.1:{varnish_port}/")
    started = time.time()
    server = base_bench.start_server(gunicorn_port, Path(workdir) / "gunicorn.log")
    varnish = None
    try:
        varnish = start_varnish(workdir, varnish_port, gunicorn_port)
        edge = f"http://127.0.0.1:{varnish_port}"
        for path in paths + static_paths:
            urllib.request.urlopen(edge + path, timeout=base_bench.HTTP_TIMEOUT).read()
        script = Path(workdir) / "mix.lua"
        script.write_text(base_bench.MIX_SCRIPT % ", ".join(f'"{p}"' for p in paths))
        static_script = Path(workdir) / "static-mix.lua"
        static_script.write_text(base_bench.MIX_SCRIPT % ", ".join(f'"{p}"' for p in static_paths))
        before = varnish_counters(varnish.name)
        stop = threading.Event()
        editor = EdgeEditor(f"http://127.0.0.1:{gunicorn_port}", password, claim_pks, stop, edge=edge)
        thread = threading.Thread(target=editor.run, daemon=True)
        thread.start()
        try:
            pages = run_wrk(edge + "/", args, str(script))
        finally:
            stop.set()
        thread.join(timeout=2 * base_bench.HTTP_TIMEOUT + 10)
        after = varnish_counters(varnish.name)
        # The fair baseline: the same pages' bytes as static files through the same Varnish, and
        # the pages again with nobody editing, taking turns.
        quiet = run_wrk(edge + "/", args, str(script))
        static = run_wrk(edge + static_paths[0], args, str(static_script))
        quiet_counters = varnish_counters(varnish.name)
        # As a browser asks: Varnish keeps the compressed copy of both and sends it as it is.
        gzipped = ("Accept-Encoding: gzip",)
        quiet_gz = run_wrk(edge + "/", args, str(script), gzipped)
        static_gz = run_wrk(edge + static_paths[0], args, str(static_script), gzipped)
        css = run_wrk(edge + "/static/css/site.css", args)
    finally:
        if varnish is not None and varnish.poll() is None:
            varnish.terminate()
            varnish.wait(timeout=20)
            varnish.log.close()
        base_bench.stop_server(server)
    elapsed = time.time() - started

    delta = {key: after[key] - before.get(key, 0) for key in after}
    hits, misses = delta.get("MAIN.cache_hit", 0), delta.get("MAIN.cache_miss", 0)
    passes = delta.get("MAIN.cache_hitpass", 0) + delta.get("MAIN.cache_hitmiss", 0)
    lookups = hits + misses + passes
    quiet_delta = {key: quiet_counters[key] - after.get(key, 0) for key in quiet_counters}
    quiet_hits = quiet_delta.get("MAIN.cache_hit", 0)
    quiet_lookups = quiet_hits + quiet_delta.get("MAIN.cache_miss", 0) + quiet_delta.get("MAIN.cache_hitpass", 0)
    quiet_ratio = f"{quiet_hits / quiet_lookups:.4f} over both runs" if quiet_lookups else "—"
    visible_ms = [seconds * 1000 for seconds in editor.visible]
    checks = {
        "wrk: no socket errors, no non-2xx/3xx": not sum(pages["errors"].values()) and not pages["non2xx"],
        "editor saved": bool(editor.saves),
        "no refused or failed save": not editor.refused and not editor.failures,
        "every save visible at the edge within 1 s": bool(visible_ms) and max(visible_ms) < 1000 and not editor.late,
        "no stale read after a fresh one": not editor.stale,
    }
    workers = os.environ.get("GUNICORN_WORKERS", str(os.cpu_count() * 2 + 1))
    version = subprocess.run(["varnishd", "-V"], capture_output=True, text=True).stderr
    varnish_version = re.search(r"varnish-([\d.]+)", version).group(1)
    rows = [
        ("pages through Varnish (wrk Lua mix: /, /claims/, the edited claims' pages)", ""),
        ("requests / req/s", f"{pages['requests']:,} / {pages['rps']:.0f}"),
        ("latency p50 / p99 (ms)", f"{pages['p50']:.2f} / {pages['p99']:.2f}"),
        ("socket errors / non-2xx", f"{sum(pages['errors'].values())} / {pages['non2xx']}"),
        (
            "the same mix with nobody editing: req/s, p50 / p99 (ms)",
            f"{quiet['rps']:.0f}, {quiet['p50']:.2f} / {quiet['p99']:.2f} (hit ratio {quiet_ratio})",
        ),
        (
            "the same pages' bytes as static files through Varnish (same mix): req/s, p50 / p99 (ms)",
            f"{static['rps']:.0f}, {static['p50']:.2f} / {static['p99']:.2f}",
        ),
        ("pages ÷ their static copies, nobody editing (throughput)", f"{quiet['rps'] / static['rps']:.2f}"),
        ("pages while editing ÷ their static copies (throughput)", f"{pages['rps'] / static['rps']:.2f}"),
        (
            "with Accept-Encoding: gzip, nobody editing: pages, static copies (req/s)",
            f"{quiet_gz['rps']:.0f}, {static_gz['rps']:.0f}",
        ),
        ("pages ÷ their static copies, gzip (throughput)", f"{quiet_gz['rps'] / static_gz['rps']:.2f}"),
        (
            "for comparison: /static/css/site.css (a small file) through Varnish: req/s",
            f"{css['rps']:.0f} (pages ÷ it: {pages['rps'] / css['rps']:.2f})",
        ),
        (
            "hit ratio (hits ÷ lookups, during the page run)",
            f"{hits / lookups:.4f} ({hits:,} hits, {misses:,} misses, {passes:,} pass)" if lookups else "—",
        ),
        ("saves made (admin POST to gunicorn)", f"{len(editor.saves)} on {len(claim_pks)} claims"),
        (
            "save → first fresh read at the edge, p50 / p99 / max (ms)",
            f"{statistics.median(visible_ms):.1f} / {percentile(visible_ms, 0.99):.1f} / {max(visible_ms):.1f} ({len(visible_ms)} page reads)"
            if visible_ms
            else "—",
        ),
        ("page reads fresh at the first try after the save", f"{editor.first_read_fresh} of {len(visible_ms)}"),
        ("not fresh within 5 s", str(len(editor.late))),
        ("stale reads after a fresh one", f"{len(editor.stale)} of {editor.reads_checked}"),
    ]
    lines = [
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}; gunicorn "
        f"{workers} sync workers; PostgreSQL (pooled) and Redis on localhost; Varnish "
        f"{varnish_version} "
        f"(malloc 256 MB); wrk -t2 -c{args.connections} -d{args.duration}s on the same machine; whole run {elapsed:.0f} s.",
        "",
        "| | |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in rows),
    ]
    table = "\n".join(lines) + "\n"
    print(table)
    for name, ok in checks.items():
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
    for pk, path in editor.late[:10]:
        print(f"  claim {pk}: {path} not fresh within 5 s")
    for pk, path, why in editor.stale[:10]:
        print(f"  claim {pk}: {path}: {why}")
    for what, why in (editor.failures + editor.refused)[:10]:
        print(f"  {what}: {why}")
    print(f"logs: {workdir}")
    if args.markdown:
        Path(args.markdown).write_text(table, encoding="utf-8")
    sys.exit(0 if all(checks.values()) else 1)


if __name__ == "__main__":
    main()
