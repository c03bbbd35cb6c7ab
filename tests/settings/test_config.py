"""Tests of the capture configuration."""

import dataclasses
import json
import pickle
from pathlib import Path

import pytest

from logprov.settings.config import DEFAULT_REDACT, Config, load_config
from logprov.errors import ConfigError, DefinitionError

LEGACY_CONFIG = {
    "capture": True,
    "hash_type": "sha1",
    "log_filename": "prov_test.log",
    "log_args": False,
    "log_args_as_entities": True,
    "log_kwargs": False,
    "log_returned_result": True,
    "system_dict": {},
    "env_vars": {"HOME": None, "SHELL": None},
}


def test_defaults():
    config = load_config(None)
    assert config == Config()
    assert (config.capture, config.hash_type, config.log_filename) == (True, "sha256", "prov.log")
    assert (config.log_args, config.log_args_as_entities, config.log_kwargs, config.log_returned_result) == (
        True, True, True, True,
    )
    assert (config.system_dict, config.env_vars, config.logging) == ({}, (), None)
    assert (config.logger_name, config.agent_name, config.described_only) == ("logprov", None, False)
    assert (config.value_length, config.max_hash_bytes) == (120, 1 << 30)
    assert config.redact == DEFAULT_REDACT and "private_key" in config.redact
    assert (config.redact_extra, config.record_git, config.record_packages, config.check_modified_inputs) == (
        (), True, True, True,
    )


def test_legacy_config_mapping_loads():
    config = load_config(LEGACY_CONFIG)
    assert config.hash_type == "sha1"
    assert config.env_vars == ("HOME", "SHELL")
    assert (config.log_args, config.log_kwargs) == (False, False)


def test_yaml_file(tmp_path):
    source = tmp_path / "provconfig.yaml"
    source.write_text(
        "hash_type: SHA512\n"
        "log_filename: logs/prov.log\n"
        "env_vars: [PATH, HOME]\n"
        "agent_name: jdoe\n"
        "redact_extra: [Session_ID]\n"
        "check_modified_inputs: false\n"
        "logging:\n"
        "  version: 1\n"
        "  handlers: {}\n"
    )
    config = load_config(source)
    assert config.hash_type == "sha512"
    assert config.env_vars == ("PATH", "HOME")
    assert config.agent_name == "jdoe"
    assert config.redact_extra == ("session_id",)
    assert config.check_modified_inputs is False
    assert config.logging == {"version": 1, "handlers": {}}
    assert load_config(str(source)) == config


def test_empty_file_gives_defaults(tmp_path):
    source = tmp_path / "empty.yaml"
    source.write_text("")
    assert load_config(source) == Config()


def test_config_passthrough_and_path_like_filename():
    config = Config()
    assert load_config(config) is config
    assert Config(log_filename=Path("out/prov.log")).log_filename == "out/prov.log"


def test_to_dict_is_json_and_redacts_secret_looking_keys():
    config = Config(
        system_dict={"project": "crab", "db": {"Password": "hunter2", "hosts": ["a", {"api_token": "t"}]}},
        logging={"version": 1, "handlers": {"mail": {"credentials": ["u", "p"], "class": "x"}}},
        env_vars=["HOME"],
    )
    data = config.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["system_dict"] == {"project": "crab", "db": {"Password": "***", "hosts": ["a", {"api_token": "***"}]}}
    assert data["logging"]["handlers"]["mail"] == {"credentials": "***", "class": "x"}
    assert data["env_vars"] == ["HOME"] and data["redact"] == list(DEFAULT_REDACT)
    assert set(data) == {f.name for f in dataclasses.fields(Config)}
    assert config.system_dict["db"]["Password"] == "hunter2"


def test_to_dict_shows_non_json_logging_values_as_repr():
    config = Config(logging={"version": 1, "filters": {"f": {"()": dict}}})
    assert config.to_dict()["logging"]["filters"]["f"]["()"] == repr(dict)


def test_is_secret_uses_default_and_extra_fragments():
    config = Config(redact_extra=("Internal",))
    assert config.is_secret("GITHUB_TOKEN") and config.is_secret("db_passwd")
    assert config.is_secret("my_internal_value")
    assert not config.is_secret("datastore")


def test_replace_validates_changes():
    config = Config()
    changed = config.replace(capture=False, hash_type="MD5")
    assert (changed.capture, changed.hash_type) == (False, "md5")
    assert config.capture is True
    with pytest.raises(ConfigError, match="unknown configuration key 'captur' \\(did you mean 'capture'\\?\\)"):
        config.replace(captur=False)
    with pytest.raises(ConfigError, match="value_length: expected a positive integer"):
        config.replace(value_length=-5)


def test_frozen_and_picklable():
    config = Config(env_vars=("HOME",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.capture = False
    assert pickle.loads(pickle.dumps(config)) == config


@pytest.mark.parametrize(
    "changes, key, words",
    [
        ({"capture": "yes"}, "capture", "expected true or false, got str 'yes'"),
        ({"log_args": 1}, "log_args", "expected true or false"),
        ({"hash_type": "sha265"}, "hash_type", "unknown or unusable hash algorithm 'sha265' (did you mean 'sha256'?)"),
        ({"hash_type": "shake_128"}, "hash_type", "unknown or unusable hash algorithm 'shake_128'"),
        ({"hash_type": 256}, "hash_type", "expected a non-empty string"),
        ({"log_filename": ""}, "log_filename", "expected a non-empty string"),
        ({"system_dict": [1]}, "system_dict", "expected a mapping"),
        ({"system_dict": {"when": object()}}, "system_dict", "must hold only JSON values"),
        ({"env_vars": "HOME"}, "env_vars", "expected a list of strings"),
        ({"env_vars": ["HOME", 3]}, "env_vars", "expected a list of non-empty strings, got int 3"),
        ({"logging": "verbose"}, "logging", "expected a logging.config.dictConfig mapping"),
        ({"logging": {"handlers": {}}}, "logging", "needs a 'version' key"),
        ({"logger_name": None}, "logger_name", "expected a non-empty string"),
        ({"agent_name": 7}, "agent_name", "expected a non-empty string"),
        ({"value_length": 0}, "value_length", "expected a positive integer"),
        ({"max_hash_bytes": True}, "max_hash_bytes", "expected a positive integer"),
        ({"redact": "token"}, "redact", "expected a list of strings"),
        ({"redact_extra": [""]}, "redact_extra", "expected a list of non-empty strings"),
        ({"record_git": None}, "record_git", "expected true or false"),
        ({"check_modified_inputs": 1}, "check_modified_inputs", "expected true or false"),
    ],
)
def test_wrong_types_name_key_and_expected_type(changes, key, words):
    with pytest.raises(ConfigError) as info:
        load_config(changes)
    assert info.value.path == key
    assert words in info.value.message
    assert str(info.value).startswith(f"{key}: ")


def test_unknown_key_in_mapping():
    with pytest.raises(ConfigError) as info:
        load_config({"hash_typ": "sha1"})
    assert info.value.path == "hash_typ"
    assert "unknown configuration key 'hash_typ' (did you mean 'hash_type'?)" in str(info.value)


@pytest.mark.parametrize(
    "text, line, key, words",
    [
        ("capture: true\nlog_filname: prov.log\n", 2, "log_filname", "did you mean 'log_filename'?"),
        ("capture: true\n\nhash_type: sha999\n", 3, "hash_type", "unknown or unusable hash algorithm 'sha999'"),
        ("env_vars:\n  - HOME\nvalue_length: long\n", 3, "value_length", "expected a positive integer, got str 'long'"),
        ("capture: true\ncapture: false\n", 2, "capture", "duplicate key 'capture' (first given on line 1)"),
        ("capture: [true\n", 1, None, "invalid YAML"),
        ("- capture\n", 1, None, "the configuration must be a mapping, not list"),
    ],
)
def test_file_errors_name_file_line_and_key(tmp_path, text, line, key, words):
    source = tmp_path / "provconfig.yaml"
    source.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(source)
    error = info.value
    assert isinstance(error, DefinitionError)
    assert (error.source, error.line, error.path) == (str(source), line, key)
    assert str(error).startswith(f"{source}:{line}: " + (f"{key}: " if key else ""))
    assert words in error.message


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="nope.yaml: configuration file not found"):
        load_config(tmp_path / "nope.yaml")
