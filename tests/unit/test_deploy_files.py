"""The deploy files, checked without a Docker daemon: `.env.example` lists every setting, the
LICENSE is the one pyproject names, the Dockerfile builds a slim non-root image whose files and
command exist, and docker-compose.yml runs real `tandem` commands in the right order
(`docker compose config` validates it too, when a compose tool is installed)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

import app
from bot.http_app import HEALTH_PATH
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SETTING_LINE = re.compile(r"^(#\s?)?([A-Z][A-Z0-9_]*)=(.*)$")
COMPOSE_VARIABLE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)")
# Values shaped like Slack's (production refuses placeholders) to fill the example's blanks.
FILLED = {
    "POSTGRES_PASSWORD": "s3cret-for-tests",
    "SLACK_BOT_TOKEN": "xoxb-7364019285530-7390418826571-Zq8dK2vN5xR1mT7bW4cY9hLp",
    "SLACK_SIGNING_SECRET": "8f3a2c71d09b4e65a1f7c3d28e90b4f6",
}


def _env_example() -> list[tuple[str, str, bool]]:
    """(key, value, set) for every setting line: `KEY=v` is set, `# KEY=v` an unset default."""
    lines = (ROOT / ".env.example").read_text().splitlines()
    return [(m[2], m[3], m[1] is None) for m in map(SETTING_LINE.match, lines) if m]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _compose_variables() -> set[str]:
    return set(COMPOSE_VARIABLE.findall((ROOT / "docker-compose.yml").read_text()))


def _aliases() -> set[str]:
    return {field.alias or name.upper() for name, field in Settings.model_fields.items()}


def test_env_example_lists_every_setting_once_and_nothing_else() -> None:
    keys = [key for key, _, _ in _env_example()]
    assert len(keys) == len(set(keys)), "a key is listed twice"
    missing = sorted(_aliases() - set(keys))
    unknown = sorted(set(keys) - _aliases() - _compose_variables())
    assert missing == [] and unknown == []
    assert _compose_variables() <= set(keys)  # what compose interpolates is explained there too


def test_env_example_defaults_are_the_settings_defaults() -> None:
    """A commented `# KEY=value` shows the default: setting it changes nothing."""
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    for key, value, is_set in _env_example():
        if is_set or not value or key not in _aliases():
            continue
        (name,) = (n for n, f in Settings.model_fields.items() if f.alias == key)
        shown = Settings(_env_file=None, **{key: value})  # type: ignore[call-arg, arg-type]
        assert getattr(shown, name) == getattr(defaults, name), key


def test_env_example_filled_in_starts_in_production(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("\n".join(f"{k}={FILLED.get(k, v)}" for k, v, is_set in _env_example() if is_set) + "\n")
    settings = Settings(_env_file=env)  # type: ignore[call-arg]
    assert settings.environment == "production"
    assert settings.slack_bot_token is not None and settings.slack_signing_secret is not None


def test_the_license_file_is_the_license_pyproject_names() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    text = (ROOT / "LICENSE").read_text()
    assert project["license"] == {"text": "MIT"}
    assert text.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge, to any person obtaining a copy" in text


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in joined.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def _final_stage() -> list[tuple[str, str]]:
    instructions = _dockerfile()
    start = max(i for i, (op, _) in enumerate(instructions) if op == "FROM")
    return instructions[start:]


def test_dockerfile_builds_on_slim_python_and_runs_as_a_user() -> None:
    bases = [args.split()[0] for op, args in _dockerfile() if op == "FROM"]
    assert bases and all(base == "python:3.11-slim" for base in bases)
    users = [args for op, args in _final_stage() if op == "USER"]
    assert users and users[-1] not in {"root", "0", "0:0"}
    assert any(op == "RUN" and "useradd" in args and users[-1] in args for op, args in _final_stage())


def test_dockerfile_copies_only_files_that_exist_and_reach_the_build() -> None:
    allowed = {
        line[1:].rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    sources = []
    for op, args in _dockerfile():
        if op == "COPY" and not args.startswith("--from"):
            sources += args.split()[:-1]
    assert "pyproject.toml" in sources and "app.py" in sources
    for source in sources:
        assert (ROOT / source).exists(), source
        assert source in allowed, f"{source} is copied but .dockerignore keeps it out of the build"
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    assert {p.rstrip("*") for p in packages["include"]} <= set(sources)  # every package ships


def test_dockerfile_runs_tandem_serve_and_checks_healthz() -> None:
    stage = _final_stage()
    entrypoint = json.loads(next(args for op, args in stage if op == "ENTRYPOINT"))
    command = json.loads(next(args for op, args in stage if op == "CMD"))
    assert entrypoint == ["tandem"] and command == ["serve"]
    assert app.build_parser().parse_args(command).command == "serve"
    health = next(args for op, args in stage if op == "HEALTHCHECK")
    assert HEALTH_PATH in health and "PORT" in health
    exposed = next(args for op, args in stage if op == "EXPOSE")
    assert exposed == str(Settings.model_fields["port"].default)


def test_compose_runs_postgres_then_the_migration_then_serve() -> None:
    services = _compose()["services"]
    assert set(services) == {"postgres", "migrate", "serve"}

    postgres = services["postgres"]
    assert postgres["healthcheck"]["test"]
    volume = postgres["volumes"][0].split(":")
    assert volume[0] in _compose()["volumes"] and volume[1] == "/var/lib/postgresql/data"

    parser = app.build_parser()
    migrate, serve = services["migrate"], services["serve"]
    upgrade = parser.parse_args(migrate["command"])
    assert (upgrade.command, upgrade.action) == ("db", "upgrade")
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert parser.parse_args(serve["command"]).command == "serve"
    assert serve["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    for tandem in (migrate, serve):
        assert tandem["build"] == "." and tandem["env_file"] == ".env"
        assert tandem["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://tandem:")
        assert tandem["environment"]["DATABASE_URL"].endswith("@postgres:5432/tandem")
    assert serve["environment"]["PORT"] == "3000" and serve["ports"][0].endswith(":3000")


def _compose_tool() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_docker_compose_config_accepts_the_file(tmp_path: Path) -> None:
    tool = _compose_tool()
    if tool is None:
        pytest.skip(
            "neither `docker compose` nor `docker-compose` is installed; the YAML checks above still ran"
        )
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    (tmp_path / ".env").write_text(
        "\n".join(f"{k}={FILLED.get(k, v)}" for k, v, is_set in _env_example() if is_set) + "\n"
    )

    result = subprocess.run(
        [*tool, "config", "--quiet"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr

    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=\n")  # no POSTGRES_PASSWORD: refused by name
    refused = subprocess.run(
        [*tool, "config", "--quiet"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert refused.returncode != 0 and "POSTGRES_PASSWORD" in refused.stderr
