from pathlib import Path

import attrs
import pytest

from lukas.domain.settings import SETTINGS
from lukas.entrypoints.config import (
    Config,
    ConfigError,
    ImageConfig,
    LLMConfig,
    load_config,
    value_of,
)


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


def config_paths(cls: type, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every leaf field of the configuration classes, as a path."""
    paths: list[tuple[str, ...]] = []
    for field in attrs.fields(cls):
        if field.name in ("llm", "image"):
            paths += config_paths(LLMConfig if field.name == "llm" else ImageConfig, (field.name,))
        else:
            paths.append((*prefix, field.name))
    return paths


def test_the_configuration_has_one_field_per_setting_with_the_tables_default() -> None:
    assert sorted(config_paths(Config)) == sorted(s.path for s in SETTINGS)
    for setting in SETTINGS:
        assert value_of(Config(), setting) == setting.default, setting.env


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"LUKAS_TIMEZONE": "Mars/Base"},
            "LUKAS_TIMEZONE='Mars/Base' is not a time zone this system knows",
        ),
        ({"LUKAS_TIMEZONE": "America"}, "LUKAS_TIMEZONE='America' is not a time zone"),
        (
            {"LUKAS_IMAGE_SCHEDULE": "never"},
            "LUKAS_IMAGE_SCHEDULE='never': not a weekly schedule",
        ),
        ({"LUKAS_LLM_MODEL": "openai:"}, "LUKAS_LLM_MODEL='openai:' has no model name after"),
        ({"LUKAS_LLM_MODEL": ":gpt-5.4-mini"}, "has no provider before the ':'"),
        ({"LUKAS_DM_INTERVAL": "soon"}, "LUKAS_DM_INTERVAL='soon': not an interval"),
        ({"LUKAS_ACTIVE_HOURS": "9-5"}, "LUKAS_ACTIVE_HOURS='9-5': not active hours"),
        ({"LUKAS_MONITORED_CHANNELS": "#ok, <bad>"}, "'<bad>' is not a channel name or id"),
        ({"LUKAS_ADMIN_USERS": "ada"}, "'ada' is not a Slack member id"),
        ({"LUKAS_IMAGE_CHANNEL": "#random"}, "LUKAS_IMAGE_CHANNEL='#random' is not a channel id"),
        ({"LUKAS_OLLAMA_URL": "localhost:11434"}, "is not an http:// or https:// address"),
        ({"LUKAS_THREAD_PROBABILITY": "2"}, "a probability must be between 0 and 1"),
        ({"LUKAS_HISTORY_PAIRS": "2.5"}, "LUKAS_HISTORY_PAIRS='2.5' must be a whole number"),
        ({"LUKAS_LLM_TIMEOUT": "inf"}, "LUKAS_LLM_TIMEOUT='inf' is not a number"),
        ({"LUKAS_LOG_LEVEL": "loud"}, "LUKAS_LOG_LEVEL='loud' is not one of the allowed values"),
    ],
)
def test_every_kind_of_setting_is_checked_and_named_with_its_source(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(environ)
    assert message in str(raised.value)
    assert str(raised.value).endswith("(from the environment)")


def test_values_are_read_into_the_form_they_are_shown_in(tmp_path: Path) -> None:
    toml = tmp_path / "lukas.toml"
    toml.write_text(
        'monitored_channels = ["general", "<#C0123|lab>"]\n'
        "thread_probability = 1\n"
        '[image]\nschedule = "Weekly  Friday 09:30"\nchannel = "<#C0PIX|pictures>"\n'
    )
    loaded = load_config({"LUKAS_REACTION_PROBABILITY": "25%"}, toml)
    config = loaded.config
    assert config.monitored_channels == ("#general", "C0123")
    assert config.thread_probability == 1.0
    assert config.reaction_probability == 0.25
    assert (config.image.schedule, config.image.channel) == ("weekly friday 09:30", "C0PIX")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("[llm]\nreasoning = true\n", "LUKAS_LLM_REASONING=True must be a number or text"),
        ('timezone = ["UTC"]\n', "LUKAS_TIMEZONE=['UTC'] must be one value, not a list"),
        ("admin_users = [1, 2]\n", "LUKAS_ADMIN_USERS=[1, 2] must be a list of names"),
        ('timezone = "Mars/Base"\n', "LUKAS_TIMEZONE='Mars/Base' is not a time zone"),
    ],
)
def test_a_value_of_the_wrong_kind_in_the_file_is_named(
    tmp_path: Path, document: str, message: str
) -> None:
    toml = tmp_path / "lukas.toml"
    toml.write_text(document)
    with pytest.raises(ConfigError) as raised:
        load_config({}, toml)
    assert message in str(raised.value)
    assert f"in {toml})" in str(raised.value)


def test_the_log_level_is_set_only_in_the_environment(tmp_path: Path) -> None:
    toml = tmp_path / "lukas.toml"
    toml.write_text('log_level = "DEBUG"\n')
    with pytest.raises(ConfigError, match="unknown setting 'log_level'"):
        load_config({}, toml)
    assert load_config({"LUKAS_LOG_LEVEL": "debug"}).config.log_level == "DEBUG"
