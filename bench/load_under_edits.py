#!/usr/bin/env python
"""Load while an editor saves: no errors, no lost saves, no stale pages.

    .venv/bin/python bench/load_under_edits.py [--duration 60] [--connections 64] [--mix] [--no-editor] [--markdown FILE]

Against gunicorn (gunicorn.conf.py) + PostgreSQL (pooled) + Redis, with the production settings
of `python3 dev.py prod` on a dedicated database (hundredmodels_load, flushed, then `load_essay`):

- wrk -t2 -c64 -d60s --latency hammers the home page `/` (with --mix, a wrk Lua script cycles
  over `/`, `/claims/` and the pages of the claims being edited);
- at the same time an "editor" (a staff user in the Editors group) logs into the admin over HTTP,
  like a browser behind the TLS proxy, and saves claims through the real change form: it GETs the
  form, posts back every field (CSRF token, inline management forms) with a new verdict note, and
  on every other save of a claim switches it between verified and disputed with a history note.
  Right after each save it fetches the claim's page and the home page, as a reader without a
  cookie, and checks that both show the new note and status;
- afterwards it checks: no wrk socket errors, no non-2xx/3xx answers, no refused or failed save,
  every save in the database (each note in exactly one django-reversion version of its claim,
  the last note and status of each claim as saved, one StatusChange row per status change made,
  the claim's edit counter moved by exactly one per save (a status change is part of its save),
  its evidence links and tags untouched), no stale read, and nothing logged at ERROR or a worker
  timeout by gunicorn.
  --no-editor runs the same load with nobody editing, for comparison.

It prints a table and exits 1 when any check fails. It needs PostgreSQL on 127.0.0.1:5432, Redis
on 127.0.0.1:6379 (it empties database 14) and wrk. Everything runs on the loopback interface.
"""

import argparse
import http.cookiejar
import io
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hundredmodels_load")
REDIS_URL = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/14")
ENV = {
    "DJANGO_SETTINGS_MODULE": "hundredmodels.settings",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DJANGO_TRUSTED_PROXY_COUNT": "0",
    "DATABASE_URL": DATABASE_URL,
    "DATABASE_POOL": "1",
    "REDIS_URL": REDIS_URL,
    # One editor saves and publishes: with sign-off on, a status change would wait for a second
    # person (a proposal) and the reader checks below would read the old verdict.
    "CLAIMS_SIGN_OFF": "0",
}
EDITOR = "load-editor"
EDITED_CLAIMS = 6
HTTP_TIMEOUT = 30


# ---------------------------------------------------------------------------------------------
# Setting up the database and the server


def create_database(url):
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def prepare(password):
    """A fresh database with the essay, an editor, and the claims to edit; returns their pks."""
    import django

    django.setup()
    from django.apps import apps
    from django.contrib.auth.models import Group, User
    from django.core.cache import cache
    from django.core.management import call_command

    from claims import roles
    from claims.models import Claim, Evidence

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)  # also empties the groups the migration made
    modules = {config.label: config.models_module for config in apps.get_app_configs()}
    roles.create_roles(apps)
    for config in apps.get_app_configs():
        config.models_module = modules[config.label]
    call_command("load_essay", stdout=io.StringIO())
    call_command("collectstatic", interactive=False, verbosity=0)
    cache.clear()

    editor = User.objects.create_user(EDITOR, password=password, is_staff=True)
    editor.groups.add(Group.objects.get(name=roles.EDITORS))
    # Claims readers see on the home page whose rules allow both verified and disputed: a
    # supporting link (verified), and a refuting or context link plus the note the editor always
    # writes (disputed).
    candidates = (
        Claim.objects.public()
        .filter(is_anchored=True, evidence__stance=Evidence.Stance.SUPPORTS)
        .filter(evidence__stance__in=[Evidence.Stance.REFUTES, Evidence.Stance.CONTEXT])
        .distinct()
        .order_by("position")
    )
    pks = list(candidates.values_list("pk", flat=True))
    if len(pks) < EDITED_CLAIMS:
        sys.exit(
            f"The essay has only {len(pks)} public claims with a supporting and a refuting or context link;"
            f" {EDITED_CLAIMS} needed."
        )
    step = len(pks) // EDITED_CLAIMS
    return [pks[i * step] for i in range(EDITED_CLAIMS)]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port, log_path):
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the server
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env={**os.environ},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server.log = log
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}; see {log_path}")
        try:
            urllib.request.urlopen(base + "/health/", timeout=2).read()
            return server
        except (OSError, urllib.error.URLError):
            time.sleep(0.2)
    stop_server(server)
    raise RuntimeError("gunicorn did not answer /health/ within 30 s")


def stop_server(server):
    if server.poll() is None:
        server.terminate()  # the master stops its workers gracefully
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
    server.log.close()


# ---------------------------------------------------------------------------------------------
# wrk


MIX_SCRIPT = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
"""


def start_wrk(base, args, claim_pks, workdir):
    command = ["wrk", "-t2", f"-c{args.connections}", f"-d{args.duration}s", "--latency"]
    if args.mix:
        paths = ["/", "/claims/", *(f"/claims/{pk}/" for pk in claim_pks)]
        script = Path(workdir) / "mix.lua"
        script.write_text(MIX_SCRIPT % ", ".join(f'"{p}"' for p in paths))
        command += ["-s", str(script)]
    command.append(base + "/")
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True), command


def parse_wrk(out):
    def latency(label):
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "errors": dict(zip(("connect", "read", "write", "timeout"), map(int, errors.groups()), strict=True))
        if errors
        else {},
    }


# ---------------------------------------------------------------------------------------------
# The editor: a browser's view of the admin change form


class FormParser(HTMLParser):
    """The fields a browser would submit from one form, and the error messages on the page."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.in_form = False
        self.found = False
        self.fields = []
        self.textarea = None
        self.select = None
        self.option = None
        self.errors = []
        self.error_depth = 0
        self.error_text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if self.error_depth:
            self.error_depth += tag not in ("br", "input", "img")
        elif {"errorlist", "errornote"} & set(classes) or (tag == "li" and "error" in classes):
            self.error_depth, self.error_text = 1, []
        if tag == "form" and a.get("id") == self.form_id:
            self.in_form = self.found = True
        if not self.in_form or a.get("name") is None and tag != "option":
            return
        if "disabled" in a:
            return
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((a["name"], a.get("value") or "on"))
                return
            self.fields.append((a["name"], a.get("value") or ""))
        elif tag == "textarea":
            self.textarea = [a["name"], ""]
        elif tag == "select":
            self.select = {"name": a["name"], "multiple": "multiple" in a, "options": [], "selected": []}
        elif tag == "option" and self.select is not None:
            self.option = [a.get("value"), "", "selected" in a]

    def handle_data(self, data):
        if self.error_depth:
            self.error_text.append(data)
        if self.textarea is not None:
            self.textarea[1] += data
        if self.option is not None:
            self.option[1] += data

    def handle_endtag(self, tag):
        if self.error_depth:
            self.error_depth -= 1
            if not self.error_depth:
                text = " ".join("".join(self.error_text).split())
                if text:
                    self.errors.append(text)
        if tag == "form" and self.in_form:
            self.in_form = False
        elif tag == "textarea" and self.textarea is not None:
            name, value = self.textarea
            # HTML drops one newline right after <textarea>; Django's widget writes one there.
            self.fields.append((name, value[1:] if value.startswith("\n") else value))
            self.textarea = None
        elif tag == "option" and self.option is not None:
            value, text, selected = self.option
            self.select["options"].append(value if value is not None else text.strip())
            if selected:
                self.select["selected"].append(self.select["options"][-1])
            self.option = None
        elif tag == "select" and self.select is not None:
            chosen = self.select["selected"]
            if not self.select["multiple"]:
                chosen = chosen[-1:] or self.select["options"][:1]
            self.fields.extend((self.select["name"], value) for value in chosen)
            self.select = None


class AnyCookiePolicy(http.cookiejar.DefaultCookiePolicy):
    """The session and CSRF cookies are Secure: the editor sits behind the (absent) TLS proxy."""

    def return_ok_secure(self, cookie, request):
        return True


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Save:
    claim: int
    note: str
    status: str
    status_changed: bool
    seconds: float
    at: float


@dataclass
class Editor:
    base: str
    password: str
    claim_pks: list
    stop: threading.Event
    saves: list = field(default_factory=list)
    refused: list = field(default_factory=list)  # (claim, errors): the form came back instead of a redirect
    failures: list = field(default_factory=list)  # (what, error): the request itself failed
    stale: list = field(default_factory=list)  # (claim, url, what was wrong)
    reads_checked: int = 0
    run_id: str = field(default_factory=lambda: secrets.token_hex(4))

    def __post_init__(self):
        self.jar = http.cookiejar.CookieJar(policy=AnyCookiePolicy())
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)
        self.reader = urllib.request.build_opener(NoRedirect)  # no cookies: a reader
        origin = "https://" + urllib.parse.urlsplit(self.base).netloc
        # What the TLS proxy in front of the app would add: the request is secure.
        self.headers = {"X-Forwarded-Proto": "https", "Origin": origin}

    def request(self, path, data=None, opener=None, headers=None):
        url = self.base + path
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        all_headers = {**(self.headers if opener is None else {}), **(headers or {})}
        if body is not None:
            all_headers["Referer"] = all_headers["Origin"] + path
        request = urllib.request.Request(url, data=body, headers=all_headers)
        try:
            with (opener or self.opener).open(request, timeout=HTTP_TIMEOUT) as response:
                return response.status, response.headers, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:  # 3xx (not followed) and 4xx/5xx
            with error:
                return error.code, error.headers, error.read().decode("utf-8", "replace")

    def login(self):
        status, _headers, html = self.request("/admin/login/?next=/admin/")
        form = FormParser("login-form")
        form.feed(html)
        if status != 200 or not form.found:
            raise RuntimeError(f"admin login page: HTTP {status}")
        data = [(k, v) for k, v in form.fields if k not in ("username", "password")]
        data += [("username", EDITOR), ("password", self.password)]
        status, headers, html = self.request("/admin/login/?next=/admin/", data)
        if status != 302:
            form = FormParser("login-form")
            form.feed(html)
            raise RuntimeError(f"admin login refused: HTTP {status} {form.errors}")

    def save_once(self, number):
        pk = self.claim_pks[number % len(self.claim_pks)]
        round_ = number // len(self.claim_pks)
        path = f"/admin/claims/claim/{pk}/change/"
        status, _headers, html = self.request(path)
        form = FormParser("claim_form")
        form.feed(html)
        if status != 200 or not form.found:
            raise RuntimeError(f"GET {path}: HTTP {status}, form found: {form.found}")
        fields = dict(form.fields)
        note = f"load-{self.run_id}-save-{number:05d}: checked under load"
        current = fields["status"]
        change = round_ % 2 == 1  # every other save of a claim changes its status
        new_status = ({"verified": "disputed"}.get(current, "verified")) if change else current
        replace = {"verdict_note": note, "status": new_status, "status_note": note if change else ""}
        data = [(k, replace.get(k, v)) for k, v in form.fields]
        start = time.perf_counter()
        status, headers, html = self.request(path, data)
        seconds = time.perf_counter() - start
        if status != 302:
            form = FormParser("claim_form")
            form.feed(html)
            self.refused.append((pk, f"HTTP {status}: {form.errors or html[:300]}"))
            return
        save = Save(pk, note, new_status, new_status != current, seconds, time.time())
        self.saves.append(save)
        self.check_reads(save)

    def check_reads(self, save):
        """The next request for each public page must show what was just saved."""
        for path in (f"/claims/{save.claim}/", "/"):
            self.reads_checked += 1
            status, _headers, html = self.request(path, opener=self.reader)
            problems = []
            if status != 200:
                problems.append(f"HTTP {status}")
            elif path == "/":
                details = re.search(rf'<template id="claim-{save.claim}-details">(.*?)</template>', html, re.S)
                span = re.search(rf'<span class="claim claim-(\w+)" id="claim-{save.claim}">', html)
                if not details or save.note not in details.group(1):
                    problems.append("old verdict note in the badge")
                if not span or span.group(1) != save.status:
                    problems.append(f"status {span.group(1) if span else None!r}, saved {save.status!r}")
            else:
                if save.note not in html:
                    problems.append("old verdict note")
                if f"status-{save.status}" not in html:
                    problems.append(f"status {save.status!r} not shown")
            if problems:
                self.stale.append((save.claim, path, "; ".join(problems)))

    def run(self):
        try:
            self.login()
        except Exception as error:  # reported, and fails the run
            self.failures.append(("login", repr(error)))
            return
        number = 0
        while not self.stop.is_set():
            try:
                self.save_once(number)
            except Exception as error:  # reported, and fails the run
                self.failures.append((f"save {number}", repr(error)))
                time.sleep(0.5)
            number += 1


# ---------------------------------------------------------------------------------------------
# Checking the database afterwards


def snapshot(claim_pks):
    """What the editor's saves must leave alone: each claim's evidence links and tags."""
    from claims.models import Claim

    return {
        claim.pk: (
            sorted(claim.evidence.values_list("pk", "stance", "url", "title", "publisher", "excerpt")),
            sorted(claim.tags.names()),
        )
        for claim in Claim.objects.filter(pk__in=claim_pks)
    }


def verify(editor, initial_versions, before):
    from django.contrib.auth.models import User
    from reversion.models import Version

    from claims.models import Claim, StatusChange

    user = User.objects.get(username=EDITOR)
    problems = []
    found = 0
    by_claim = {}
    for save in editor.saves:
        by_claim.setdefault(save.claim, []).append(save)
    for pk, saves in by_claim.items():
        claim = Claim.objects.get(pk=pk)
        versions = [v.field_dict.get("verdict_note") for v in Version.objects.get_for_object(claim)]
        for save in saves:
            count = versions.count(save.note)
            if count == 1:
                found += 1
            else:
                problems.append(f"claim {pk}: note {save.note!r} is in {count} versions, not 1")
        last = saves[-1]
        if claim.verdict_note != last.note:
            problems.append(f"claim {pk}: verdict note {claim.verdict_note!r}, last saved {last.note!r}")
        if claim.status != last.status:
            problems.append(f"claim {pk}: status {claim.status!r}, last saved {last.status!r}")
        # One save is one write through the workflow, a status change included: one version each.
        expected = initial_versions[pk] + len(saves)
        if claim.version != expected:
            problems.append(f"claim {pk}: edit counter {claim.version}, expected {expected}")
    after = snapshot(list(before))
    for pk in before:
        if after[pk] != before[pk]:
            problems.append(f"claim {pk}: evidence or tags changed by saves that only edited the note and status")
    rows = StatusChange.objects.filter(user=user, via=StatusChange.Via.ADMIN)
    made = sum(s.status_changed for s in editor.saves)
    changed_notes = {s.note: s for s in editor.saves if s.status_changed}
    matching = [row for row in rows if row.note in changed_notes and row.to_status == changed_notes[row.note].status]
    if rows.count() != made or len(matching) != made:
        problems.append(
            f"{made} status changes made; {rows.count()} history rows by the editor, {len(matching)} of them matching"
        )
    return {"found": found, "status_made": made, "status_rows": rows.count(), "problems": problems}


def server_problems(log_path):
    lines = Path(log_path).read_text(errors="replace").splitlines()
    bad = [
        line
        for line in lines
        if re.search(r"\[(ERROR|CRITICAL)\]|Traceback|WORKER TIMEOUT|^ERROR|Internal Server Error", line)
    ]
    return bad


# ---------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--mix", action="store_true", help="Cycle over /, /claims/ and the edited claims' pages.")
    parser.add_argument("--markdown", help="Also write the result table to this file.")
    parser.add_argument("--no-editor", action="store_true", help="The same load with nobody editing, to compare.")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    os.environ.update(ENV)
    password = secrets.token_urlsafe(16)
    create_database(DATABASE_URL)
    claim_pks = prepare(password)

    from claims.models import Claim

    initial_versions = dict(Claim.objects.filter(pk__in=claim_pks).values_list("pk", "version"))
    before = snapshot(claim_pks)
    workdir = tempfile.mkdtemp(prefix="load-under-edits-")
    log_path = Path(workdir) / "gunicorn.log"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.time()
    server = start_server(port, log_path)
    wrk = None
    try:
        for path in ("/", "/claims/", *(f"/claims/{pk}/" for pk in claim_pks)):
            for _ in range(10):  # every worker's pool and the cache warm
                urllib.request.urlopen(base + path, timeout=HTTP_TIMEOUT).read()
        stop = threading.Event()
        editor = Editor(base, password, claim_pks, stop)
        wrk, command = start_wrk(base, args, claim_pks, workdir)
        thread = threading.Thread(target=editor.run, daemon=True)
        time.sleep(1)  # the editor starts under full load
        if not args.no_editor:
            thread.start()
        try:
            out, err = wrk.communicate(timeout=args.duration + 60)
        finally:
            stop.set()
        if thread.is_alive():
            thread.join(timeout=2 * HTTP_TIMEOUT + 10)
        if wrk.returncode != 0:
            raise RuntimeError(f"wrk failed ({wrk.returncode}): {err}")
        if thread.is_alive():
            editor.failures.append(("editor", "still running 70 s after wrk ended"))
    finally:
        if wrk is not None and wrk.poll() is None:
            wrk.kill()
            wrk.wait()
        stop_server(server)
    elapsed = time.time() - started

    load = parse_wrk(out)
    result = verify(editor, initial_versions, before)
    log_problems = server_problems(log_path)
    save_times = sorted(s.seconds for s in editor.saves)
    checks = {
        "wrk socket errors": sum(load["errors"].values()) == 0,
        "non-2xx/3xx answers": load["non2xx"] == 0,
        "editor saved at least once per claim": args.no_editor
        or len({s.claim for s in editor.saves}) == len(claim_pks),
        "no refused save": not editor.refused,
        "no failed editor request": not editor.failures,
        "every save in the database": result["found"] == len(editor.saves) and not result["problems"],
        "no stale read": not editor.stale,
        "nothing logged as an error by gunicorn": not log_problems,
    }

    target = "/, /claims/ and the edited claims' pages (Lua mix)" if args.mix else "/"
    errors = ", ".join(f"{k} {v}" for k, v in load["errors"].items()) if load["errors"] else "0"
    rows = [
        ("wrk", " ".join(command).replace(base, "http://127.0.0.1:PORT").replace(workdir + "/", "")),
        ("pages", target + (" — nobody editing" if args.no_editor else "")),
        ("requests", f"{load['requests']:,}"),
        ("req/s", f"{load['rps']:.1f}"),
        ("latency p50 / p99 (ms)", f"{load['p50']:.1f} / {load['p99']:.1f}"),
        ("socket errors", errors),
        ("non-2xx/3xx", str(load["non2xx"])),
        ("editor saves made", f"{len(editor.saves)} on {len(claim_pks)} claims"),
        (
            "editor save (POST) p50 / max (ms)",
            f"{statistics.median(save_times) * 1000:.0f} / {save_times[-1] * 1000:.0f}" if save_times else "—",
        ),
        ("saves found in the database", str(result["found"])),
        ("status changes made / history rows", f"{result['status_made']} / {result['status_rows']}"),
        ("refused saves / failed editor requests", f"{len(editor.refused)} / {len(editor.failures)}"),
        ("stale reads", f"{len(editor.stale)} of {editor.reads_checked} page reads right after a save"),
        ("gunicorn error-log lines", str(len(log_problems))),
    ]
    workers = os.environ.get("GUNICORN_WORKERS", str(os.cpu_count() * 2 + 1))
    lines = [
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}; "
        f"gunicorn {workers} sync workers; PostgreSQL (psycopg pool) and Redis on localhost; "
        f"wrk on the same machine; whole run {elapsed:.0f} s.",
        "",
        "| | |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in rows),
    ]
    table = "\n".join(lines) + "\n"
    print(table)
    for name, ok in checks.items():
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
    for pk, why in editor.refused[:10]:
        print(f"  refused save of claim {pk}: {why}")
    for what, why in editor.failures[:10]:
        print(f"  {what}: {why}")
    for problem in result["problems"][:20]:
        print(f"  {problem}")
    for pk, path, why in editor.stale[:20]:
        print(f"  stale read of {path} after saving claim {pk}: {why}")
    for line in log_problems[:20]:
        print(f"  gunicorn: {line}")
    print(f"gunicorn log: {log_path}")
    if args.markdown:
        Path(args.markdown).write_text(table, encoding="utf-8")
    sys.exit(0 if all(checks.values()) else 1)


if __name__ == "__main__":
    main()
