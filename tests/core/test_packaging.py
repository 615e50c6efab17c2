"""The wheel is the product: built, installed into a fresh virtualenv and served from outside the checkout.

This proves that templates/, static/ and migrations/ ship inside the package, that `eventapp serve --demo` brings an
empty SQLite database to head and loads the demo, and that nothing is read from the repository by accident.
Slow (a wheel build, a venv, a server start: about ten seconds), but part of the default suite on purpose.
"""
import html
import importlib.util
import json
import os
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
import requests

from tests.conftest import serve_process

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL, **kwargs)
    assert result.returncode == 0, (
        f"{' '.join(map(str, command))} exited {result.returncode}\n"
        f"--- stdout ---\n{result.stdout[-4000:]}\n--- stderr ---\n{result.stderr[-4000:]}")
    return result


def _build_wheel(outdir: Path) -> Path:
    command = [sys.executable, "-m", "build", "--wheel", "--outdir", str(outdir)]
    # Without hatchling here, `build` makes an isolated env and fetches it from the configured package index.
    if importlib.util.find_spec("hatchling") is not None:
        command.append("--no-isolation")
    _run(command + [str(REPO)], cwd=outdir)
    [wheel] = outdir.glob("eventapp-*.whl")
    return wheel


def _build_artifacts() -> set[str]:
    """What a build could leave in the checkout (other files may change meanwhile: people work here)."""
    return {path.name for pattern in ("build", "dist", "*.egg-info", "eventapp-*.whl", "eventapp-*.tar.gz")
            for path in REPO.glob(pattern)}


def _clean_environment(data_dir: Path) -> dict:
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "REDIS_URL", "PYTHONPATH", "PYTHONHOME", "SMTP_URL", "BASE_URL",
                          "VIRTUAL_ENV", "FLASK_APP"}}
    env.update({"EVENTAPP_DATA_DIR": str(data_dir), "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"})
    return env


def test_wheel_installs_into_a_fresh_venv_and_serves_the_demo(tmp_path):
    artifacts_before = _build_artifacts()

    (tmp_path / "dist").mkdir()
    wheel = _build_wheel(tmp_path / "dist")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        shipped_css = archive.read("eventapp/static/css/app.css") if "eventapp/static/css/app.css" in names else None
    for required in ("eventapp/templates/registration/landing.html", "eventapp/static/css/app.css",
                     "eventapp/migrations/env.py", "eventapp/migrations/alembic.ini"):
        assert required in names, f"{required} is missing from {wheel.name}"
    versions = [n for n in names if n.startswith("eventapp/migrations/versions/") and n.endswith(".py")]
    assert versions, "no migration scripts in the wheel"

    # Dependencies come from this environment; the package itself only from the wheel.
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=False)  # this pip installs into it: faster
    python, eventapp_cli = env_dir / "bin" / "python", env_dir / "bin" / "eventapp"
    if sys.prefix != sys.base_prefix:  # we run in a virtual environment: its packages are not the "system" ones
        packages = _run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip()
        # Plain directories on the path (their own .pth files, such as our editable install's, are not run).
        (Path(packages) / "outer-environment.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index",
          "--ignore-installed", str(wheel)])
    assert eventapp_cli.exists()

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    data_dir = tmp_path / "data"
    env = _clean_environment(data_dir)

    where = _run([python, "-c", "import eventapp, eventapp.config as c; "
                  "print(eventapp.__file__); print(c.resource_dir('templates')); print(c.resource_dir('migrations'))"],
                 cwd=outside, env=env).stdout.split()
    for path in where:
        assert Path(path).resolve().is_relative_to(env_dir.resolve()), f"{path} is not inside the venv"

    server, base = serve_process(lambda port: [eventapp_cli, "serve", "--demo", "--port", str(port), "--no-worker"],
                                 env=env, log=tmp_path / "serve.log", cwd=outside)
    try:
        health = requests.get(f"{base}/healthz", timeout=10).json()
        assert health == {"status": "ok", "database": "ok", "queue": "ok"}

        landing = requests.get(f"{base}/e/demo-seminar", timeout=10)
        assert landing.status_code == 200, landing.text[:500]
        stylesheet = requests.get(f"{base}/static/css/app.css", timeout=10)
        assert stylesheet.status_code == 200
        assert stylesheet.content == shipped_css
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)

    # The demo's seminar is the one on the page (its title read back from the database the server created).
    title = _run([python, "-c", "import json, sqlite3, sys; db = sqlite3.connect(sys.argv[1]); "
                  "print(json.dumps(db.execute(\"SELECT title FROM events WHERE slug = 'demo-seminar'\")"
                  ".fetchone()[0]))", str(data_dir / "eventapp.db")], cwd=outside, env=env).stdout
    title = json.loads(title)
    assert title and title in html.unescape(landing.text)
    assert not (outside / "instance").exists(), "the server ignored EVENTAPP_DATA_DIR"

    assert _build_artifacts() == artifacts_before, "building the wheel left files in the repository"
