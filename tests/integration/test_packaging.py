"""`pip install .` gives a working `tandem` command, not only an editable checkout.

The project is built into a wheel offline (no build isolation, no index: nothing leaves the
machine) from a copy of the files the build reads, installed into a scratch folder, and its
generated `tandem` script is run with only that folder on the path: every command is there,
and `tandem db upgrade` finds the migrations inside the installed package.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import app
from storage.db import make_engine
from storage.schema_state import schema_revisions

ROOT = Path(__file__).resolve().parents[2]
BUILD_INPUTS = ("pyproject.toml", "README.md", "LICENSE", "app.py")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scratch = tmp_path_factory.mktemp("packaging")
    source = scratch / "source"
    source.mkdir()
    for name in BUILD_INPUTS:
        shutil.copy(ROOT / name, source / name)
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    for pattern in packages["include"]:
        package = pattern.rstrip("*")
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    wheels, target = scratch / "wheels", scratch / "site"
    build = subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", str(source), "-w", str(wheels)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert build.returncode == 0, (
        f"building the wheel failed (the dev extra needs setuptools>=70.1):\n{build.stderr}"
    )
    (wheel,) = wheels.glob("tandem-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--no-index", "--target", str(target), str(wheel)],
                   check=True, timeout=300)  # fmt: skip
    return target


def _tandem(installed: Path, tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return _run(installed, tmp_path, [str(installed / "bin" / "tandem"), *argv])


def _run(installed: Path, tmp_path: Path, command: list[str]) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(installed),  # the installed copy only, not this checkout
        "DATABASE_URL": f"sqlite:///{tmp_path / 'installed.db'}",
        "TANDEM_SCHEDULER": "false",
    }
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def _commands() -> list[str]:
    parser = app.build_parser()
    (subparsers,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(subparsers.choices)


def test_the_installed_tandem_lists_every_command(installed: Path, tmp_path: Path) -> None:
    result = _tandem(installed, tmp_path, "--help")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: tandem ")
    commands = _commands()
    assert {"serve", "cycle", "db", "demo", "score", "seed", "import"} <= set(commands)
    missing = [command for command in commands if command not in result.stdout]
    assert missing == []


def test_the_installed_tandem_upgrades_a_database_from_the_installed_migrations(
    installed: Path, tmp_path: Path
) -> None:
    result = _tandem(installed, tmp_path, "db", "upgrade")

    engine = make_engine(f"sqlite:///{tmp_path / 'installed.db'}")
    revisions = schema_revisions(engine)
    engine.dispose()
    assert result.returncode == 0, result.stderr
    assert revisions.up_to_date and f"is up to date (revision {revisions.expected})" in result.stdout

    scored = _tandem(installed, tmp_path, "score", "--format", "json")
    assert scored.returncode == 0 and scored.stdout.strip() == "[]", scored.stderr


def test_the_installed_code_is_the_wheel_not_this_checkout(installed: Path, tmp_path: Path) -> None:
    (dist_info,) = installed.glob("tandem-*.dist-info")
    assert "tandem = app:main" in (dist_info / "entry_points.txt").read_text()
    licenses = [p.name for p in dist_info.rglob("LICENSE*")]
    assert licenses == ["LICENSE"]  # the license travels with the package
    for module in ("app", "storage.db", "bot.settings"):
        assert (installed / (module.replace(".", "/") + ".py")).is_file(), module
    assert (installed / "storage" / "migrations" / "env.py").is_file()
    assert list((installed / "storage" / "migrations" / "versions").glob("0001_*.py"))
    where = _run(installed, tmp_path, [sys.executable, "-c", "import app, storage.db; print(app.__file__)"])
    assert where.returncode == 0 and Path(where.stdout.strip()).parent == installed, where.stderr
