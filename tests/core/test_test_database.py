"""The suite empties the database it runs on, so it must never reach one it was not given for testing."""
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import unsafe_test_database

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = "postgresql+psycopg://eventapp:secret@127.0.0.1:9/eventapp"


def test_only_databases_named_for_testing_may_be_emptied():
    assert unsafe_test_database("postgresql+psycopg://eventapp:eventapp@127.0.0.1:5432/eventapp_test") is None
    assert unsafe_test_database("postgresql+psycopg://u:p@db/TestRun") is None
    assert unsafe_test_database("sqlite:////tmp/anything.db") is None
    assert "eventapp" in unsafe_test_database(PRODUCTION)
    assert unsafe_test_database("postgresql+psycopg://u:p@db/") is not None


def _pytest(env_changes: dict) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "EVENTAPP_TEST_DATABASE_URL", "PYTEST_ADDOPTS")}
    env.update(env_changes)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         f"{Path(__file__).relative_to(ROOT)}::test_only_databases_named_for_testing_may_be_emptied"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_a_production_database_url_in_the_shell_is_not_used():
    # Port 9 (discard) answers nothing: had the suite used this URL, the run would fail to connect.
    run = _pytest({"DATABASE_URL": PRODUCTION})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout


def test_the_suite_refuses_a_test_database_url_not_named_for_testing():
    run = _pytest({"EVENTAPP_TEST_DATABASE_URL": PRODUCTION})
    assert run.returncode == 4, run.stdout + run.stderr
    assert "only run on one whose name contains 'test'" in run.stdout + run.stderr
    assert "passed" not in run.stdout
