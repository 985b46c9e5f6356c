"""The database really going away under a running server, and coming back.

A server process (runserver) is started on its own database. On PostgreSQL it reaches the
database through a TCP relay on 127.0.0.1 that the test cuts and restores; on SQLite the
database file is moved away and back. Readers get the 503 page meanwhile, /health/ says so, and
the first request after the database returns is served normally, with no restart.
"""

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


class Relay:
    """A TCP relay to the database that can be cut (every connection dropped) and restored."""

    def __init__(self, target):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.connections = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.close()

    def cut(self):
        self.up = False
        with self.lock:
            for sock in self.connections:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                    sock.close()
            self.connections = []

    def restore(self):
        self.up = True

    def close(self):
        self.cut()
        self.listener.close()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.fixture
def database(tmp_path):
    """An environment for a server process, with a way to take its database down and up."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "SQLITE_", "REDIS_"))}
    env["DJANGO_DEBUG"] = "1"
    if ON_POSTGRES:
        import psycopg

        parts = urlsplit(os.environ["DATABASE_URL"])
        name = f"hm_dbdown_{os.getpid()}"
        admin_url = urlunsplit(parts._replace(path="/postgres", query=""))
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        relay = Relay((parts.hostname or "127.0.0.1", parts.port or 5432))
        netloc = parts.netloc.rsplit("@", 1)[0] + f"@127.0.0.1:{relay.port}" if "@" in parts.netloc else ""
        env["DATABASE_URL"] = urlunsplit(parts._replace(netloc=netloc or f"127.0.0.1:{relay.port}", path=f"/{name}"))
        yield env, relay.cut, relay.restore
        relay.close()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = tmp_path / "site.sqlite3"
        away = tmp_path / "away.sqlite3"
        env["SQLITE_PATH"] = str(path)

        def down():
            path.rename(away)

        def up():
            path.unlink(missing_ok=True)  # the empty file SQLite made while the real one was away
            away.rename(path)

        yield env, down, up


def test_a_running_server_answers_503_while_the_database_is_gone_and_recovers(database):
    env, down, up = database
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True, timeout=300
    )
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if get(base + "/health/")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        assert get(base + "/claims/")[0] == 200

        down()
        status, headers, page = get(base + "/claims/")
        assert status == 503
        assert headers.get("Retry-After") == "30"
        assert "<h1>" in page and "Traceback" not in page and "OperationalError" not in page
        status, _headers, health = get(base + "/health/")
        assert status == 503 and '"database": "down"' in health

        up()
        assert get(base + "/claims/")[0] == 200  # the next request after it returns: no restart
        assert get(base + "/health/")[0] == 200
    finally:
        server.terminate()
        server.wait(timeout=10)
