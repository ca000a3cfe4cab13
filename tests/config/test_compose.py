"""docker-compose.yml, read as compose would read it (no Docker engine needed): Flower behind
basic auth from the environment, and every variable it uses listed in .env.example."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = (ROOT / "docker-compose.yml").read_text()
# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}; `$$` is a literal dollar.
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")


def env_example() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def test_flower_takes_its_basic_auth_from_the_environment_and_has_no_default():
    flower = yaml.safe_load(COMPOSE)["services"]["flower"]
    (auth,) = [arg for arg in flower["command"] if arg.startswith("--basic-auth")]
    # `:?` makes compose refuse to start without it: no built-in password, no open Flower.
    assert re.fullmatch(r"--basic-auth=\$\{FLOWER_BASIC_AUTH:\?[^}]*\}", auth)


def test_every_variable_the_compose_file_uses_is_listed_in_env_example():
    used = set(VARIABLE.findall(COMPOSE))
    assert "FLOWER_BASIC_AUTH" in used
    assert used - set(env_example()) == set()


def test_env_example_holds_no_flower_password():
    assert env_example()["FLOWER_BASIC_AUTH"] == ""


def test_the_app_services_log_json_at_the_level_of_the_environment():
    services = yaml.safe_load(COMPOSE)["services"]
    for name in ("web", "worker", "beat", "flower", "migrate"):
        assert services[name]["environment"]["LOG_FORMAT"] == "${LOG_FORMAT:-json}"
    for name in ("worker", "beat"):
        assert "--loglevel=${LOG_LEVEL:-INFO}" in services[name]["command"]


def test_the_app_services_run_in_production_and_need_their_secrets_from_the_environment():
    compose = yaml.safe_load(COMPOSE)
    for name in ("web", "worker", "beat", "migrate"):
        environment = compose["services"][name]["environment"]
        assert environment["ENVIRONMENT"] == "production"
        # `:?` makes compose refuse to start without it: no key or password from the repository.
        assert re.fullmatch(r"\$\{SECRET_KEY:\?[^}]*\}", environment["SECRET_KEY"])
    assert re.fullmatch(
        r"\$\{POSTGRES_PASSWORD:\?[^}]*\}",
        compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"],
    )
    assert env_example()["POSTGRES_PASSWORD"] == ""
