"""The `funia` command, run for real in a subprocess against a throwaway SQLite database."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PASSWORD = "Long-enough-pass-42"


def _env(var_dir: Path) -> dict[str, str]:
    """The test process's environment without FUNIA_* and DJANGO_* settings, then our own."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FUNIA_", "DJANGO_"))  # e.g. the browser tests' ASYNC_UNSAFE
    }
    env["FUNIA_VAR_DIR"] = str(var_dir)
    env["FUNIA_DATABASE_URL"] = f"sqlite:///{var_dir / 'cli.sqlite3'}"
    env["DJANGO_SETTINGS_MODULE"] = "funia.settings"
    return env


def _run(var_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603  (our own interpreter and arguments)
        [sys.executable, "-m", "funia.cli", *args],
        env=_env(var_dir),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def migrated_database(tmp_path_factory) -> Path:
    """A directory with a migrated database, made once and copied by every test."""
    var_dir = tmp_path_factory.mktemp("cli-template")
    result = _run(var_dir, "migrate", "--noinput", "--verbosity", "0")
    assert result.returncode == 0, result.stderr
    return var_dir


@pytest.fixture
def funia(migrated_database, tmp_path):
    """funia(*args) -> the finished `funia` process, on a fresh copy of the migrated database."""
    for path in migrated_database.glob("cli.sqlite3*"):
        shutil.copy(path, tmp_path / path.name)
    shutil.copy(migrated_database / "secret_key", tmp_path / "secret_key")

    def run(*args: str) -> subprocess.CompletedProcess:
        return _run(tmp_path, *args)

    return run


@pytest.fixture
def acme(funia) -> str:
    """The organisation 'acme' with its administrator; returns the administrator's token."""
    result = funia("tenant", "create", "acme", "--name", "Acme", "--admin", "boss@acme.example")
    assert result.returncode == 0, result.stderr
    return last_line(result)


def last_line(result: subprocess.CompletedProcess) -> str:
    return result.stdout.strip().splitlines()[-1]


def api_me(funia, token: str) -> dict:
    """GET /api/v1/me with the token, through the real URL conf, on the command's database."""
    script = (
        "import json; from django.test import Client; "
        f"r = Client(HTTP_HOST='localhost').get('/api/v1/me', "
        f"headers={{'Authorization': 'Bearer {token}'}}); "
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    result = funia("shell", "-c", script)
    assert result.returncode == 0, result.stderr
    return json.loads(last_line(result))


def assert_refused(result: subprocess.CompletedProcess, message: str) -> None:
    """Exit code 2, the message on stderr, no traceback, nothing on stdout."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert "funia_" not in result.stdout


def test_tenant_create_prints_an_api_token_as_its_last_line(funia):
    result = funia("tenant", "create", "acme", "--name", "Acme", "--admin", "boss@acme.example")

    assert result.returncode == 0, result.stderr
    assert "Created organisation 'acme' (Acme) with administrator boss@acme.example." in (
        result.stdout
    )
    assert last_line(result).startswith("funia_")


def test_the_token_of_tenant_create_signs_in_to_the_api_as_the_administrator(funia, acme):
    me = api_me(funia, acme)

    assert me["status"] == 200, me
    assert me["body"]["email"] == "boss@acme.example"
    assert me["body"]["organization"] == "acme"
    assert me["body"]["role"] == "admin"


def test_token_create_prints_a_new_token_for_a_member(funia, acme):
    result = funia("token", "create", "--tenant", "acme", "--user", "boss@acme.example")

    assert result.returncode == 0, result.stderr
    token = last_line(result)
    assert token.startswith("funia_")
    assert token != acme
    assert api_me(funia, token)["body"]["email"] == "boss@acme.example"


def test_user_create_adds_a_user_with_a_role(funia, acme):
    result = funia(
        "user",
        "create",
        "--tenant",
        "acme",
        "--email",
        "rep@acme.example",
        "--role",
        "sales_rep",
        "--password",
        PASSWORD,
    )

    assert result.returncode == 0, result.stderr
    assert "Added rep@acme.example to 'acme' as sales_rep." in result.stdout
    token = last_line(funia("token", "create", "--tenant", "acme", "--user", "rep@acme.example"))
    assert api_me(funia, token)["body"]["role"] == "sales_rep"


def test_an_unknown_tenant_slug_is_refused(funia, acme):
    result = funia("token", "create", "--tenant", "nope", "--user", "boss@acme.example")

    assert_refused(result, "No organisation with the slug 'nope'.")


def test_an_unknown_user_email_is_refused(funia, acme):
    result = funia("token", "create", "--tenant", "acme", "--user", "nobody@acme.example")

    assert_refused(result, "No user with the email 'nobody@acme.example'.")


def test_a_token_for_a_user_of_another_organisation_is_refused(funia, acme):
    funia("tenant", "create", "rival", "--name", "Rival", "--admin", "chief@rival.example")

    result = funia("token", "create", "--tenant", "acme", "--user", "chief@rival.example")

    assert_refused(result, "The user is not an active member of this organisation.")


def test_an_invalid_role_is_refused_with_the_valid_ones(funia, acme):
    result = funia(
        "user", "create", "--tenant", "acme", "--email", "rep@acme.example", "--role", "wizard"
    )

    assert_refused(result, "Unknown role. Choose one of: admin, sales_manager, sales_rep")


def test_a_duplicate_slug_on_tenant_create_is_refused(funia, acme):
    result = funia("tenant", "create", "acme", "--name", "Acme 2", "--admin", "new@acme.example")

    assert_refused(result, "An organisation with this slug already exists.")


@pytest.mark.parametrize(
    "args",
    [
        ("user", "create", "--tenant", "acme", "--email", "not-an-email", "--role", "sales_rep"),
        ("tenant", "create", "other", "--name", "Other", "--admin", "not-an-email"),
    ],
    ids=["user-create", "tenant-create"],
)
def test_an_invalid_email_is_refused(funia, acme, args):
    assert_refused(funia(*args), "email: Enter a valid email address.")


def test_a_weak_password_is_refused(funia, acme):
    result = funia(
        "user", "create", "--tenant", "acme", "--email", "rep@acme.example", "--role", "sales_rep",
        "--password", "short",
    )  # fmt: skip

    assert_refused(result, "This password is too short.")


def test_a_missing_required_option_exits_2_with_the_usage(funia):
    result = funia("user", "create", "--tenant", "acme", "--email", "rep@acme.example")

    assert_refused(result, "the following arguments are required: --role")
    assert "usage: funia user create" in result.stderr


def test_demo_without_serving_loads_the_demo_and_prints_the_logins(funia):
    result = funia("demo", "--no-serve")

    assert result.returncode == 0, result.stderr
    assert "Demo organisation 'demo' is ready." in result.stdout
    assert "password: funia-demo-2026" in result.stdout
    assert "admin@demo.funia.example" in result.stdout
    assert "rep.ivan@demo.funia.example" in result.stdout
    assert "Open http" not in result.stdout
