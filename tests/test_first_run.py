"""A newcomer's first ten minutes: `make run` names what the machine lacks before it
installs anything, serves on the port asked for (and links in emails follow it), and keeps
the development `.env` away from the production checks and the tests.

The Makefile and bin/check-prerequisites are run as they are, in a copy of the checkout's
set-up files (a fresh clone, as far as they can tell), with a PATH made for each test.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECK = ROOT / "bin" / "check-prerequisites"
MAKE = shutil.which("make")
# The real interpreter (not a pyenv shim or a venv wrapper), to place on a bare PATH.
PYTHON = os.path.realpath(sys.executable)

needs_make = pytest.mark.skipif(MAKE is None, reason="make is not installed")


def _bare_path(tmp_path: Path, *tools: str, fakes: dict[str, str] | None = None) -> str:
    """A directory holding only python3 and the named tools (symlinks to the real ones),
    plus `fakes`: name -> a shell script's body."""
    bin_dir = tmp_path / "path"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(PYTHON)
    for tool in tools:
        (bin_dir / tool).symlink_to(shutil.which(tool))
    for name, body in (fakes or {}).items():
        script = bin_dir / name
        script.write_text(f"#!/bin/sh\n{body}\n")
        script.chmod(0o755)
    return str(bin_dir)


def _check(path: str) -> subprocess.CompletedProcess:
    env = {"PATH": path, "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run([str(CHECK)], env=env, capture_output=True, text=True, timeout=30)


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """The files `make run` and `make test` start from, as a fresh clone has them."""
    checkout = tmp_path / "precept"
    checkout.mkdir()
    for name in (
        "Makefile",
        "requirements.txt",
        "requirements-dev.txt",
        "package.json",
        "package-lock.json",
    ):
        shutil.copy2(ROOT / name, checkout / name)
    shutil.copytree(ROOT / "bin", checkout / "bin")
    return checkout


def _make_n(clone: Path, *args: str) -> str:
    """What `make -n ARGS` would run in the clone (nothing is run)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "MAKEFLAGS", "MFLAGS")}
    done = subprocess.run(
        [MAKE, "-n", *args], cwd=clone, env=env, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


# --- the prerequisites -----------------------------------------------------------------------


def test_missing_node_and_npm_are_named_with_their_apt_line(tmp_path):
    done = _check(_bare_path(tmp_path))
    assert done.returncode != 0
    assert "apt-get install nodejs npm" in done.stderr


def test_missing_npm_alone_is_named_alone(tmp_path):
    done = _check(_bare_path(tmp_path, fakes={"node": "exit 0"}))
    assert done.returncode != 0
    assert "apt-get install npm\n" in done.stderr


def test_a_python_without_venv_support_asks_for_python3_venv(tmp_path):
    # Debian's python3 without python3-venv: `import ensurepip` fails, the rest works.
    path = _bare_path(tmp_path, fakes={"node": "exit 0", "npm": "exit 0"})
    python = Path(path) / "python3"
    python.unlink()
    python.write_text(f'#!/bin/sh\ncase "$*" in *ensurepip*) exit 1;; esac\nexec {PYTHON} "$@"\n')
    python.chmod(0o755)
    done = _check(path)
    assert done.returncode != 0
    assert "apt-get install python3-venv\n" in done.stderr


def test_nothing_is_said_when_everything_is_there(tmp_path):
    done = _check(_bare_path(tmp_path, fakes={"node": "exit 0", "npm": "exit 0"}))
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


@needs_make
def test_make_run_on_a_fresh_clone_without_npm_stops_before_installing(tmp_path, clone):
    env = {"PATH": _bare_path(tmp_path, "make"), "HOME": str(tmp_path)}
    done = subprocess.run(
        [MAKE, "run"], cwd=clone, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "apt-get install nodejs npm" in done.stderr
    assert not (clone / ".venv").exists() and not (clone / ".env").exists()


# --- make run: the port, the .env, runtime requirements only -------------------------------


@needs_make
def test_make_run_serves_on_the_port_asked_for_and_tells_the_links(clone):
    commands = _make_n(clone, "run", "PORT=8010")
    assert "manage.py runserver 127.0.0.1:8010" in commands
    assert "http://127.0.0.1:8010" in commands  # what it prints
    # Every manage.py command of the run knows the port: links in emails follow it.
    managed = [line for line in commands.splitlines() if "manage.py" in line]
    assert managed and all("PRECEPT_PORT=8010" in line for line in managed)


@needs_make
def test_make_run_writes_a_development_env_and_installs_only_the_runtime(clone):
    commands = _make_n(clone, "run")
    assert "DJANGO_DEBUG=1" in commands and "> .env" in commands
    assert "-r requirements.txt" in commands
    assert "requirements-dev.txt" not in commands
    assert "runserver 127.0.0.1:8000" in commands
    (clone / ".env").write_text("DJANGO_DEBUG=1\nDATABASE_URL=postgres://mine\n")
    assert "> .env" not in _make_n(clone, "run")  # an existing .env is left alone


@needs_make
def test_make_test_installs_the_tools(clone):
    commands = _make_n(clone, "test")
    assert "-r requirements-dev.txt" in commands
    assert "npm ci" in commands


@needs_make
@pytest.mark.parametrize(
    ("target", "runs"),
    [
        ("lint", "check --deploy"),
        ("test", "collectstatic"),
        ("test", ".venv/bin/pytest"),
        ("bench", "manage.py benchmark"),
        ("load", "loadtest/run.sh"),
    ],
)
def test_production_like_targets_set_debug_off_over_a_developers_env(clone, target, runs):
    # make run's .env says DJANGO_DEBUG=1, and the settings read it unless the environment
    # says otherwise: these must say otherwise.
    (line,) = [line for line in _make_n(clone, target).splitlines() if runs in line]
    assert "DJANGO_DEBUG=0" in line


# --- the settings: where links point -------------------------------------------------------------


def _base_url(**env: str) -> str:
    """PRECEPT_BASE_URL as the settings compute it in a fresh process with `env`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PRECEPT_", "DJANGO_"))}
    done = subprocess.run(
        [sys.executable, "-c", "import config.settings as s; print(s.PRECEPT_BASE_URL)"],
        cwd=ROOT,
        env={**base, "DJANGO_DEBUG": "1", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def test_links_follow_the_development_port_unless_the_address_is_set():
    assert _base_url(PRECEPT_PORT="8010") == "http://127.0.0.1:8010"
    assert _base_url() == "http://127.0.0.1:8000"
    assert _base_url(PRECEPT_PORT="8010", PRECEPT_BASE_URL="https://precept.example.org/") == (
        "https://precept.example.org"
    )
