"""Safe by default (hundredmodels/settings.py): DEBUG off unless set, the local .env that dev.py
writes, database URLs, and the language cookie.
"""

import os
import subprocess
import sys

import pytest
from django.test import Client

from hundredmodels import settings as settings_module

pytestmark = pytest.mark.django_db


def reader():
    return Client(raise_request_exception=False)


def settings_in_a_fresh_process(tmp_path, code, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "SQLITE_"))}
    base.update({"DJANGO_ENV_FILE": str(tmp_path / "no.env"), "SQLITE_PATH": str(tmp_path / "db.sqlite3"), **env})
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; {code}"],
        cwd=settings_module.BASE_DIR,
        env={**base, "DJANGO_SETTINGS_MODULE": "hundredmodels.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_debug_is_off_unless_set(tmp_path):
    refused = settings_in_a_fresh_process(tmp_path, "print(settings.DEBUG)")
    assert refused.returncode != 0 and "DJANGO_SECRET_KEY" in refused.stderr
    production = settings_in_a_fresh_process(
        tmp_path,
        "print(settings.DEBUG, settings.LANGUAGE_COOKIE_SECURE, settings.LANGUAGE_COOKIE_SAMESITE)",
        DJANGO_SECRET_KEY="x" * 50,
        DJANGO_ALLOWED_HOSTS="example.org",
    )
    assert production.stdout.split() == ["False", "True", "Lax"], production.stderr


def test_a_local_env_file_turns_debug_on_and_the_environment_wins(tmp_path):
    env_file = tmp_path / "dev.env"
    env_file.write_text("DJANGO_DEBUG=1\nDJANGO_SECRET_KEY=from-the-file-" + "k" * 40 + "\n")
    local = settings_in_a_fresh_process(
        tmp_path, "print(settings.DEBUG, settings.SECRET_KEY[:14])", DJANGO_ENV_FILE=str(env_file)
    )
    assert local.stdout.split() == ["True", "from-the-file-"], local.stderr
    overridden = settings_in_a_fresh_process(
        tmp_path,
        "print(settings.DEBUG)",
        DJANGO_ENV_FILE=str(env_file),
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="y" * 50,
        DJANGO_ALLOWED_HOSTS="example.org",
    )
    assert overridden.stdout.split() == ["False"], overridden.stderr


def test_dev_py_writes_a_random_git_ignored_env_once(tmp_path, monkeypatch):
    sys.path.insert(0, str(settings_module.BASE_DIR))
    try:
        import dev
    finally:
        sys.path.pop(0)
    monkeypatch.setattr(dev, "ENV_FILE", tmp_path / ".env")
    dev.ensure_env()
    first = (tmp_path / ".env").read_text()
    assert "DJANGO_DEBUG=1" in first and "DJANGO_SECRET_KEY=" in first
    dev.ensure_env()
    assert (tmp_path / ".env").read_text() == first  # never overwritten
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setattr(dev, "ENV_FILE", other / ".env")
    dev.ensure_env()
    assert (other / ".env").read_text() != first  # a random key each machine
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".env"], cwd=settings_module.BASE_DIR, capture_output=True, timeout=30
    )
    assert ignored.returncode == 0


@pytest.mark.parametrize(
    ("url", "engine", "name"),
    [
        ("sqlite:///relative.sqlite3", "django.db.backends.sqlite3", "relative.sqlite3"),
        ("sqlite:////tmp/absolute.sqlite3", "django.db.backends.sqlite3", "/tmp/absolute.sqlite3"),
        ("postgres://postgres@127.0.0.1:5432/hm_hostile", "django.db.backends.postgresql", "hm_hostile"),
        ("postgresql://u:p%40ss@db.example:6543/site?test_name=t", "django.db.backends.postgresql", "site"),
    ],
)
def test_database_urls_are_parsed_by_dj_database_url(url, engine, name):
    config = settings_module.database_from_url(url)
    assert config["ENGINE"] == engine and config["NAME"] == name
    assert config["CONN_HEALTH_CHECKS"] is True
    if engine.endswith("postgresql"):
        assert config["OPTIONS"]["connect_timeout"] <= 5
    if "test_name" in url:
        assert config["TEST"]["NAME"] == "t" and config["PASSWORD"] == "p@ss"


def test_the_language_cookie_is_same_site_lax(home):
    response = reader().post("/i18n/setlang/", {"language": "en", "next": "/"})
    cookie = response.cookies["django_language"]
    assert cookie["samesite"] == "Lax"
