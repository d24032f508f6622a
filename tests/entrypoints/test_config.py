from pathlib import Path

import pytest

from lukas.entrypoints.config import Config, ConfigError, load_config


def test_defaults_follow_the_spec() -> None:
    loaded = load_config({}, None)
    assert loaded.config == Config()
    assert loaded.config.llm.model == "openai:gpt-5.4-mini"
    assert (loaded.config.history_pairs, loaded.config.context_tokens) == (10, 4000)
    assert set(loaded.sources.values()) == {"default"}


def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    toml = tmp_path / "lukas.toml"
    toml.write_text('admin_users = ["U1", "U2"]\n[llm]\nmax_tokens = 90\ntemperature = 0.1\n')
    loaded = load_config({"LUKAS_LLM_TEMPERATURE": "0.9"}, toml)
    assert loaded.config.llm.temperature == 0.9
    assert loaded.config.llm.max_tokens == 90
    assert loaded.config.admin_users == ("U1", "U2")
    assert loaded.sources["LUKAS_LLM_TEMPERATURE"] == "environment"
    assert loaded.sources["LUKAS_LLM_MAX_TOKENS"] == "lukas.toml"


def test_a_list_from_the_environment_is_comma_separated() -> None:
    assert load_config({"LUKAS_ADMIN_USERS": "U1, U2,,U3"}).config.admin_users == (
        "U1",
        "U2",
        "U3",
    )


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"LUKAS_LLM_TEMPERATURE": "hot"}, "LUKAS_LLM_TEMPERATURE='hot' is not a number"),
        ({"LUKAS_LLM_TEMPERATURE": "2.5"}, "must be between 0 and 2"),
        ({"LUKAS_CONTEXT_TOKENS": "many"}, "LUKAS_CONTEXT_TOKENS='many' is not a number"),
        ({"LUKAS_LLM_REASONING_EFFORT": "extreme"}, "is not one of the allowed values"),
    ],
)
def test_bad_values_are_named_with_where_they_came_from(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        load_config(environ)
    assert "(from the environment)" in str(raised.value)


def test_a_bad_value_in_the_file_names_the_file(tmp_path: Path) -> None:
    toml = tmp_path / "lukas.toml"
    toml.write_text("history_pairs = -3\n")
    with pytest.raises(
        ConfigError,
        match=r"LUKAS_HISTORY_PAIRS=-3 must be at least 1 \(from history_pairs in .*lukas.toml\)",
    ):
        load_config({}, toml)


def test_an_unknown_setting_in_the_file_is_refused(tmp_path: Path) -> None:
    toml = tmp_path / "lukas.toml"
    toml.write_text("[llm]\ntemprature = 0.5\n")
    with pytest.raises(ConfigError, match=r"unknown setting 'llm\.temprature'"):
        load_config({}, toml)
