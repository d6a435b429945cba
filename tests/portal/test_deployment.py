"""The production configuration passes Django's deployment checks and fails loudly when unsafe."""

import os
import subprocess
import sys
from pathlib import Path

from tests import clock

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # tests/settings.py relaxes some variables for the test client; production mode must not see them.
    relaxed = {"DEBUG", "SECRET_KEY", "SECURE_SSL_REDIRECT", "EMAIL_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {key: value for key, value in os.environ.items() if key not in relaxed}
    environment.update(env)
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        clock.command([sys.executable, "manage.py", *args]),
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production_mode(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("k" * 20 + "-production-secret-from-a-file-0123456789-abcdefgh")
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY_FILE=str(secret_file),
        ALLOWED_HOSTS="guichet.example",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_mode_refuses_to_start_without_a_secret_key():
    result = _manage("check")
    assert result.returncode != 0
    assert "SECRET_KEY (or SECRET_KEY_FILE) must be set" in result.stderr


def test_the_status_page_keeps_at_least_its_longest_window():
    result = _manage("check", DEBUG="true", STATUS_KEEP_DAYS="7")
    assert result.returncode != 0
    assert "STATUS_KEEP_DAYS must be at least 30" in result.stderr
