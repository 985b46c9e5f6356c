#!/usr/bin/env python3
"""The two quick-start commands, with nothing but Python 3.11+ installed.

python3 dev.py start   set up a virtualenv and a local .env, install, migrate, load the essay, serve on :8000
                       (with the task worker that runs big CSV imports beside it)
python3 dev.py test    set up the same virtualenv and .env and run the test suite (arguments go to pytest)
python3 dev.py setup   only the virtualenv and the .env (CI, then manage.py works)
python3 dev.py prod [--varnish]   the production stack (gunicorn, PostgreSQL, Redis, docs/operations.md);
                       --varnish puts Varnish (deploy/varnish.vcl) in front on 127.0.0.1:6081, purged by the app
                       (and by manage.py purge_edge --loop, which sends each purge's second send)
python3 dev.py second-chief   a second chief editor account (random password, shown once), to try
                       sign-off alone on a laptop: one account proposes, the other approves
"""

import hashlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
REQUIREMENTS = ROOT / "requirements.txt"
STAMP = VENV / ".requirements.sha256"
ENV_FILE = ROOT / ".env"


def run(*args, **kwargs):
    return subprocess.run([str(a) for a in args], cwd=ROOT, check=True, **kwargs)


def ensure_venv():
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be run by an older python3
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print("Creating the virtualenv in .venv …", flush=True)
        venv.create(VENV, with_pip=True)
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text().strip() != wanted:
        count = sum(1 for line in REQUIREMENTS.read_text().splitlines() if line.strip() and line[0] != "#")
        print(f"Installing {count} requirements (the first time takes a minute or two) …", flush=True)
        uv = shutil.which("uv")
        if uv:  # much faster, with its own progress display
            run(uv, "pip", "install", "--python", PYTHON, "-r", REQUIREMENTS)
        else:  # pip's own progress: a line per package and a bar per download
            run(
                PYTHON,
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--progress-bar",
                "on",
                "-r",
                REQUIREMENTS,
            )
        STAMP.write_text(wanted)


def ensure_env():
    """This machine's development settings, written once into the git-ignored .env: debug on and a
    random secret key. The settings read it (python-dotenv); without it DJANGO_DEBUG is off."""
    if ENV_FILE.exists():
        return
    ENV_FILE.write_text(
        "# Written by `python3 dev.py` for development on this machine only; git ignores it.\n"
        "# Production sets its variables in the environment instead (docs/operations.md).\n"
        "DJANGO_DEBUG=1\n"
        f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}\n"
    )
    ENV_FILE.chmod(0o600)
    print("Wrote .env (development settings for this machine).", flush=True)


def manage(*args, **kwargs):
    return run(PYTHON, "manage.py", *args, **kwargs)


def ensure_admin(address):
    """One superuser with a random password, shown once; never a password kept in the repository."""
    password = secrets.token_urlsafe(12)
    code = (
        "from django.contrib.auth import get_user_model\n"
        "User = get_user_model()\n"
        "if User.objects.filter(is_superuser=True).exists():\n"
        "    print('exists')\n"
        "else:\n"
        f"    User.objects.create_superuser('admin', '', {password!r})\n"
        "    print('created')\n"
    )
    result = manage("shell", "-c", code, capture_output=True, text=True)
    if result.stdout.strip().endswith("created"):
        print(f"\n  Admin: http://{address}/admin/  user: admin  password: {password}\n  (shown only now)\n")
    else:
        print(
            f"\n  Admin: http://{address}/admin/ with your existing superuser.\n"
            "  Forgot the password? .venv/bin/python manage.py changepassword admin\n"
        )


def second_chief(args):
    """A second chief editor, so that one person can try two-person sign-off on a laptop."""
    ensure_venv()
    manage("migrate", "--verbosity", "0")
    name = args[0] if args else "chief2"
    password = secrets.token_urlsafe(12)
    code = (
        "from django.contrib.auth import get_user_model\n"
        "from django.contrib.auth.models import Group\n"
        "from claims.roles import CHIEF_EDITORS\n"
        "User = get_user_model()\n"
        f"if User.objects.filter(username={name!r}).exists():\n"
        "    print('exists')\n"
        "else:\n"
        f"    user = User.objects.create_user({name!r}, '', {password!r}, is_staff=True)\n"
        "    user.groups.add(Group.objects.get(name=CHIEF_EDITORS))\n"
        "    print('created')\n"
    )
    result = manage("shell", "-c", code, capture_output=True, text=True)
    if result.stdout.strip().endswith("created"):
        print(f"\n  Chief editor: {name}  password: {password}\n  (shown only now)\n")
    else:
        print(f"\n  {name} exists already. Forgot the password? .venv/bin/python manage.py changepassword {name}\n")


def serve_with_worker(server, env=None):
    """Run the web server with the task worker (manage.py db_worker, which runs big CSV imports)
    as a second child; when the server stops, for Ctrl+C or any other reason, so does the worker."""
    worker_args = [str(PYTHON), "manage.py", "db_worker", "--no-reload", "--interval", "1"]
    worker = subprocess.Popen(worker_args, cwd=ROOT, env=env)
    print(f"Task worker started (pid {worker.pid}).", flush=True)
    server_process = subprocess.Popen([str(a) for a in server], cwd=ROOT, env=env)

    def forward(signum, frame):
        server_process.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    interrupted = False
    try:
        code = server_process.wait()
    except KeyboardInterrupt:  # The terminal sent Ctrl+C to both children too.
        interrupted = True
        code = server_process.wait()
    finally:
        if not interrupted and worker.poll() is None:
            worker.terminate()  # db_worker finishes the task it is running, then exits.
        try:
            worker.wait(timeout=120)
        except subprocess.TimeoutExpired:
            worker.kill()  # An import cut short writes nothing: it is one transaction.
            worker.wait()
    sys.exit(code)


def font_hint():
    """The share cards (og:image) need a Japanese font; without one every page shares the default card."""
    fc_list = shutil.which("fc-list")
    if fc_list and not subprocess.run([fc_list, ":lang=ja"], capture_output=True, text=True).stdout.strip():
        print(
            "No Japanese font: shared links show the default card. For a card per claim:"
            " sudo apt-get install fonts-ipaexfont-gothic",
            flush=True,
        )


def start(args):
    ensure_venv()
    ensure_env()
    font_hint()
    manage("migrate", "--verbosity", "0")
    manage("load_essay")
    args = args or ["127.0.0.1:8000"]
    ensure_admin(args[0] if ":" in args[0] else f"127.0.0.1:{args[0]}")
    serve_with_worker([PYTHON, "manage.py", "runserver", *args])


def test(args):
    ensure_venv()
    ensure_env()
    os.chdir(ROOT)
    os.execv(str(PYTHON), [str(PYTHON), "-m", "pytest", *args])


PROD_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DJANGO_SECURE_SSL_REDIRECT": "0",  # no TLS proxy in front of it locally
    "DJANGO_TRUSTED_PROXY_COUNT": "0",  # and no proxy adding X-Forwarded-For
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/hundredmodels",
    "DATABASE_POOL": "1",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def prod_admin_hint(env):
    """How to get into the admin of the production-like stack: its database is not the SQLite one
    that `dev.py start` gave an admin account."""
    address = env.get("GUNICORN_BIND", "127.0.0.1:8000")
    return (
        f"\n  Admin: http://{address}/admin/ (this PostgreSQL database has its own accounts).\n"
        "  Create one:  DATABASE_URL=" + env["DATABASE_URL"] + " .venv/bin/python manage.py createsuperuser\n"
        "  Lost the password?  DATABASE_URL="
        + env["DATABASE_URL"]
        + " .venv/bin/python manage.py changepassword NAME\n"
    )


def start_varnish(env):
    """Varnish in front of gunicorn with deploy/varnish.vcl (Debian: varnish, varnish-modules);
    the app purges it (EDGE_PURGE_BACKEND=varnish). Returns the varnishd process."""
    import shutil
    import tempfile

    if not shutil.which("varnishd"):
        sys.exit("varnishd is missing: sudo apt-get install varnish varnish-modules")
    backend_port = env.get("GUNICORN_BIND", "127.0.0.1:8000").rpartition(":")[2]
    workdir = Path(tempfile.mkdtemp(prefix="hundredmodels-varnish-"))
    workdir.chmod(0o755)
    vcl = (ROOT / "deploy/varnish.vcl").read_text().replace('.port = "8000"', f'.port = "{backend_port}"')
    (workdir / "varnish.vcl").write_text(vcl)
    address = f"127.0.0.1:{env['VARNISH_PORT']}"
    command = ["varnishd", "-F", "-n", str(workdir / "varnish"), "-a", address, "-f", str(workdir / "varnish.vcl")]
    command += ["-T", "none", "-s", "malloc,256m", "-p", "http_resp_hdr_len=64k", "-p", "http_resp_size=128k"]
    command += ["-p", "workspace_backend=256k"]
    process = subprocess.Popen(command, cwd=ROOT)
    print(f"Varnish on http://{address}/ in front of gunicorn (pid {process.pid}).", flush=True)
    return process


def start_purger(env):
    """manage.py purge_edge --loop: the purges a commit could not send, and every purge's second
    send (claims/caching/edge.py). Returns its process."""
    command = [str(PYTHON), "manage.py", "purge_edge", "--loop", "--interval", "2"]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    print(f"Edge purger started (pid {process.pid}).", flush=True)
    return process


def prod(args):
    """Run the site as production does, against local PostgreSQL and Redis (see docs/operations.md)."""
    ensure_venv()
    env = {**PROD_ENV, **os.environ}
    env.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    varnish = "--varnish" in args
    args = [arg for arg in args if arg != "--varnish"]
    if varnish:
        env.setdefault("VARNISH_PORT", "6081")
        env.setdefault("EDGE_PURGE_BACKEND", "varnish")
        env.setdefault("EDGE_PURGE_URLS", f"http://127.0.0.1:{env['VARNISH_PORT']}/")
    create_db = (
        "import os, psycopg\n"
        "from urllib.parse import urlsplit\n"
        "url = urlsplit(os.environ['DATABASE_URL'])\n"
        "name = url.path.lstrip('/')\n"
        "with psycopg.connect(url._replace(path='/postgres').geturl(), autocommit=True) as conn:\n"
        "    if not conn.execute('SELECT 1 FROM pg_database WHERE datname = %s', [name]).fetchone():\n"
        "        conn.execute(f'CREATE DATABASE \"{name}\"')\n"
    )
    run(PYTHON, "-c", create_db, env=env)
    run(PYTHON, "manage.py", "migrate", "--verbosity", "0", env=env)
    run(PYTHON, "manage.py", "load_essay", env=env)
    run(PYTHON, "manage.py", "collectstatic", "--noinput", "--verbosity", "0", env=env)
    print(prod_admin_hint(env), flush=True)
    edge = start_varnish(env) if varnish else None
    purger = start_purger(env) if env.get("EDGE_PURGE_BACKEND") else None
    try:
        serve_with_worker([BIN / "gunicorn", "--config", "gunicorn.conf.py", *args], env)
    finally:
        for process in (purger, edge):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=30)


def setup(args):
    ensure_venv()
    ensure_env()


def main():
    commands = {"start": start, "test": test, "prod": prod, "setup": setup, "second-chief": second_chief}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
