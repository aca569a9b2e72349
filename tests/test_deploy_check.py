"""`funia check --deploy` in production (SaaS) mode: Django's security checklist is clean."""

import os
import secrets
import subprocess
import sys

import pytest


@pytest.fixture
def production_env(tmp_path) -> dict[str, str]:
    """SaaS settings from the environment: HTTPS, a real secret key, one host, no DEBUG."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FUNIA_", "DJANGO_"))  # e.g. the browser tests' ASYNC_UNSAFE
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "funia.settings",
        "FUNIA_VAR_DIR": str(tmp_path),
        "FUNIA_DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "FUNIA_HTTPS": "1",
        "FUNIA_SECRET_KEY": secrets.token_urlsafe(45),  # 60 characters
        "FUNIA_ALLOWED_HOSTS": "crm.example.com",
    }
    assert len(env["FUNIA_SECRET_KEY"]) == 60
    return env


def deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "funia.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_deploy_check_is_clean_in_https_production_mode(production_env):
    result = deploy_check(production_env)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNING" not in output
    assert "security.W" not in output


def test_the_deploy_check_warns_when_debug_is_on(production_env):
    result = deploy_check(production_env | {"FUNIA_DEBUG": "1"})

    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr


def test_the_deploy_check_warns_without_https(production_env):
    del production_env["FUNIA_HTTPS"]

    result = deploy_check(production_env)

    output = result.stdout + result.stderr
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in output
