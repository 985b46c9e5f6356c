#!/usr/bin/env python3
"""The two quick-start commands, with nothing but Python 3.11+ installed.

python3 dev.py start   set up a virtualenv, install, migrate, load the essay, serve on :8000
python3 dev.py test    set up the same virtualenv and run the test suite (arguments go to pytest)
"""

import hashlib
import os
import secrets
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
        print("Installing requirements …", flush=True)
        run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", REQUIREMENTS)
        STAMP.write_text(wanted)


def manage(*args, **kwargs):
    return run(PYTHON, "manage.py", *args, **kwargs)


def ensure_admin():
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
        print(f"\n  Admin: http://127.0.0.1:8000/admin/  user: admin  password: {password}\n  (shown only now)\n")
    else:
        print(
            "\n  Admin: http://127.0.0.1:8000/admin/ with your existing superuser.\n"
            "  Forgot the password? .venv/bin/python manage.py changepassword admin\n"
        )


def start(args):
    ensure_venv()
    manage("migrate", "--verbosity", "0")
    manage("load_essay")
    ensure_admin()
    os.execv(str(PYTHON), [str(PYTHON), "manage.py", "runserver", *(args or ["127.0.0.1:8000"])])


def test(args):
    ensure_venv()
    os.chdir(ROOT)
    os.execv(str(PYTHON), [str(PYTHON), "-m", "pytest", *args])


def setup(args):
    ensure_venv()


def main():
    commands = {"start": start, "test": test, "setup": setup}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
