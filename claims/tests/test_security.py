"""Running in public: production checks, headers, the content security policy, login guessing."""

import base64
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from claims.middleware import ADMIN_EXPORT_HANDLER_HASH, ADMIN_STYLE_HASHES
from claims.tests.factories import make_user

ROOT = Path(settings.BASE_DIR)


def production_env(tmp_path, **extra):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "SQLITE_"))
    }
    env.update(
        {
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "claims.example.org,testserver",
            "SQLITE_PATH": str(tmp_path / "production-check.sqlite3"),
            "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
            **extra,
        }
    )
    return env


def run_manage(tmp_path, *args, **extra_env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=production_env(tmp_path, **extra_env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing_with_production_settings(tmp_path):
    result = run_manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert "WARNING" not in result.stderr and "ERROR" not in result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_manage(tmp_path, "check", DJANGO_SECRET_KEY="")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


PRODUCTION_HEADERS = """
import json
from django.test import Client
client = Client()
page = client.get("/admin/login/", secure=True)
plain = client.get("/admin/login/")
print(json.dumps({
    "headers": dict(page.headers),
    "cookies": {name: dict(morsel) for name, morsel in page.cookies.items()},
    "plain_status": plain.status_code,
    "plain_location": plain.headers.get("Location"),
}))
"""


def test_production_sends_hsts_secure_httponly_cookies_and_redirects_to_https(tmp_path):
    # Production serves hashed static files: collect them first, as a deployment does.
    assert run_manage(tmp_path, "collectstatic", "--noinput", "--verbosity", "0").returncode == 0
    result = run_manage(tmp_path, "shell", "-c", PRODUCTION_HEADERS)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout.strip().splitlines()[-1])
    headers = data["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    csrf = data["cookies"]["csrftoken"]
    assert csrf["secure"] is True and csrf["httponly"] is True and csrf["samesite"] == "Lax"
    assert data["plain_status"] == 301 and data["plain_location"].startswith("https://")


@pytest.mark.django_db
def test_session_cookie_is_httponly_and_samesite(client):
    make_user("keiko")
    client.post(reverse("admin:login"), {"username": "keiko", "password": "a-long-test-password-42"})
    session = client.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] is True and session["samesite"] == "Lax"
    assert settings.SESSION_COOKIE_HTTPONLY and settings.CSRF_COOKIE_HTTPONLY


# ---------------------------------------------------------------------------------------------
# Content Security Policy


def directives(header):
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.django_db
def test_public_policy_allows_no_inline_script_or_style(client):
    response = client.get("/health/")
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert not any("unsafe" in source for sources in policy.values() for source in sources)


@pytest.mark.django_db
def test_admin_has_its_own_policy_with_only_the_export_handler_allowed(client):
    client.force_login(make_user("root", superuser=True))
    response = client.get(reverse("admin:claims_claim_changelist"))
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'", "'unsafe-hashes'", ADMIN_EXPORT_HANDLER_HASH]
    assert policy["style-src"] == ["'self'", "'unsafe-hashes'", *ADMIN_STYLE_HASHES]
    assert not any(source in ("'unsafe-inline'", "'unsafe-eval'") for sources in policy.values() for source in sources)
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]


def csp_hash(source):
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


def test_the_admin_policy_hashes_match_the_installed_templates():
    import django
    import import_export

    export = (Path(import_export.__file__).parent / "templates/admin/import_export/export.html").read_text()
    change_list = (Path(django.__file__).parent / "contrib/admin/templates/admin/change_list.html").read_text()
    handlers = re.findall(r'\son[a-z]+="([^"]*)"', export)
    styles = re.findall(r'\sstyle="([^"]*)"', export) + re.findall(r"<style>(.*?)</style>", change_list, re.S)
    assert {csp_hash(h) for h in handlers} == {ADMIN_EXPORT_HANDLER_HASH}, "update the admin CSP"
    assert {csp_hash(s) for s in styles} == set(ADMIN_STYLE_HASHES), "update the admin CSP"


# ---------------------------------------------------------------------------------------------
# Login guessing (django-axes)


@pytest.fixture
def editor_account(db):
    return make_user("taro")


def login(client, password, username="taro", ip="203.0.113.7"):
    return client.post(
        reverse("admin:login") + "?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


def test_five_wrong_passwords_lock_the_account_even_with_the_right_one(client, editor_account):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "wrong-guess").status_code == 200
    assert login(client, "wrong-guess").status_code == 429  # the fifth failure locks
    response = login(client, "a-long-test-password-42")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_locked_account_is_unlocked_by_the_reset_command(client, editor_account):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        login(client, "wrong-guess")
    assert login(client, "a-long-test-password-42").status_code == 429
    call_command("axes_reset_username", "taro")
    call_command("axes_reset_ip", "203.0.113.7")
    response = login(client, "a-long-test-password-42")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(editor_account.pk)


def test_guessing_from_many_addresses_still_locks_the_user_name(client, editor_account):
    for n in range(settings.AXES_FAILURE_LIMIT):
        login(client, "wrong-guess", ip=f"198.51.100.{n + 1}")
    assert login(client, "a-long-test-password-42", ip="198.51.100.200").status_code == 429


def test_behind_the_proxy_the_forwarded_client_address_is_counted(client, editor_account, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.1"
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("admin:login"),
            {"username": "nobody", "password": "x"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR="1.2.3.4, 192.0.2.9",  # the first hop is the client's own claim
        )
    from axes.models import AccessAttempt

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"192.0.2.9"}
    # Another visitor behind the same proxy is not locked out.
    response = client.post(
        reverse("admin:login"),
        {"username": "taro", "password": "a-long-test-password-42"},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="192.0.2.50",
    )
    assert response.status_code == 302


def test_test_client_and_shell_logins_still_work(client, editor_account):
    assert client.login(username="taro", password="a-long-test-password-42")
    assert get_user_model().objects.get(username="taro").is_active
