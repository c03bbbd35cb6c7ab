"""Secrets planted everywhere never reach the log; the redaction list is configurable."""

from __future__ import annotations

import collections
import json
import os
import re
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

from logprov.testing import parse_line

SECRET = re.compile(rb"S3CR3T-[A-Z0-9-]+")

SCRIPT = textwrap.dedent(
    """
    import sys
    import logprov

    capture = logprov.ProvCapture(
        definitions={"activities": {"connect": {"parameters": [{"name": "settings", "value": "settings"}]}}},
        config={
            "log_filename": sys.argv[1], "record_git": False, "record_packages": False,
            "env_vars": ["DB_PASSWORD", "API_TOKEN", "AWS_SECRET_ACCESS_KEY", "SSH_PRIVATE_KEY",
                         "SERVICE_CREDENTIAL", "DB_PASSWD", "PLAIN_SETTING"],
            "system_dict": {"site": "La Palma", "db_passwd": "S3CR3T-SYSTEM-1",
                            "vault": {"apikey": "S3CR3T-SYSTEM-2", "kind": "hashicorp"}},
            "redact_extra": ["pin"],
        },
    )


    @capture.trace
    def connect(host, password, settings, token=None, **extra):
        return {"session_token": "S3CR3T-RESULT", "host": host}


    @capture.trace
    def query(options):
        return len(options)


    connect(
        "db.example.org", "S3CR3T-POSITIONAL",
        {"user": "jdoe", "auth": {"private_key": "S3CR3T-NESTED-1", "inner": {"client_secret": "S3CR3T-NESTED-2"}}},
        token="S3CR3T-KEYWORD-1", api_key="S3CR3T-KEYWORD-2", pin="S3CR3T-EXTRA",
        options={"credential": "S3CR3T-KEYWORD-3", "retries": 3},
    )
    query({"servers": [{"name": "a", "password": "S3CR3T-LIST"}], "Access-Token": "S3CR3T-DASH"})
    """
)

ENVIRONMENT = {
    "DB_PASSWORD": "S3CR3T-ENV-1",
    "API_TOKEN": "S3CR3T-ENV-2",
    "AWS_SECRET_ACCESS_KEY": "S3CR3T-ENV-3",
    "SSH_PRIVATE_KEY": "S3CR3T-ENV-4",
    "SERVICE_CREDENTIAL": "S3CR3T-ENV-5",
    "DB_PASSWD": "S3CR3T-ENV-6",
    "PLAIN_SETTING": "visible-setting",
}
ARGV = ["--password", "S3CR3T-ARGV-1", "--token=S3CR3T-ARGV-2", "--api-key", "S3CR3T-ARGV-3",
        "--db-secret=S3CR3T-ARGV-4", "--verbose", "input.fits"]


def records_of(log: Path) -> list[dict]:
    return [r for r in map(parse_line, log.read_text().splitlines()) if r is not None]


def test_planted_secrets_never_reach_the_log(tmp_path):
    log = tmp_path / "prov.log"
    script = tmp_path / "connect.py"
    script.write_text(SCRIPT)
    subprocess.run(
        [sys.executable, str(script), str(log), *ARGV],
        cwd=tmp_path, env={**os.environ, **ENVIRONMENT}, check=True, timeout=60,
    )
    raw = log.read_bytes()
    assert SECRET.findall(raw) == []
    records = records_of(log)
    session = records[0]
    assert session["system"]["argv"] == [str(script), str(log), "--password", "***", "--token=***", "--api-key", "***",
                                         "--db-secret=***", "--verbose", "input.fits"]
    environment = session["system"]["environment"]
    assert {name: environment[name] for name in ENVIRONMENT} == {
        **{name: "***" for name in ENVIRONMENT}, "PLAIN_SETTING": "visible-setting",
    }
    assert session["system"]["site"] == "La Palma" and session["system"]["db_passwd"] == "***"
    assert session["system"]["vault"] == {"apikey": "***", "kind": "hashicorp"}
    parameters = [r["parameters"] for r in records if "parameters" in r]
    assert parameters == [{
        "settings": {"user": "jdoe", "auth": {"private_key": "***", "inner": {"client_secret": "***"}}},
        "host": "db.example.org", "password": "***", "token": "***", "api_key": "***", "pin": "***",
    }]
    values = [(r["location"], json.loads(r["value"])) for r in records if "value" in r]
    assert values == [
        ("args.options", {"credential": "***", "retries": 3}),
        ("result", {"session_token": "***", "host": "db.example.org"}),
        ("args.options", {"servers": [{"name": "a", "password": "***"}], "Access-Token": "***"}),
        ("result", 2),
    ]


def test_redaction_list_is_configurable(make_capture, monkeypatch):
    monkeypatch.setenv("HOSTNAME_FOR_TEST", "db.example.org")
    monkeypatch.setenv("TEST_PASSWORD", "plain-password")
    capture = make_capture(
        redact=["hostname"], redact_extra=["codeword"], env_vars=["HOSTNAME_FOR_TEST", "TEST_PASSWORD"],
    )

    @capture.trace
    def connect(hostname, password, codeword, options):
        return None

    connect("db.example.org", "plain-password", "swordfish", {"hostname": "db.example.org", "password": "x1"})
    raw = Path(capture.config.log_filename).read_text()
    assert "db.example.org" not in raw and "swordfish" not in raw
    records = records_of(Path(capture.config.log_filename))
    assert records[0]["system"]["environment"]["TEST_PASSWORD"] == "plain-password"
    assert records[0]["system"]["environment"]["HOSTNAME_FOR_TEST"] == "***"
    parameters = next(r["parameters"] for r in records if "parameters" in r)
    assert parameters == {"hostname": "***", "password": "plain-password", "codeword": "***"}
    (options,) = [json.loads(r["value"]) for r in records if r.get("location") == "args.options"]
    assert options == {"hostname": "***", "password": "x1"}


def nested(depth: int, leaf: dict) -> dict:
    for level in range(depth):
        leaf = {f"level{depth - level}": leaf}
    return leaf


@pytest.mark.parametrize("where", ["parameter", "entity", "system_dict"])
def test_deeply_nested_secrets_are_hidden(make_capture, where):
    secret = {"password": "S3CR3T-DEEP"}
    config = {"log_args_as_entities": where == "entity"}
    if where == "system_dict":
        config["system_dict"] = nested(6, secret)
    capture = make_capture(**config)
    capture.trace(lambda options: None)(nested(6, secret))
    assert SECRET.findall(Path(capture.config.log_filename).read_bytes()) == []


@pytest.mark.parametrize("make", [
    lambda: collections.OrderedDict(password="S3CR3T-ORDERED"),
    lambda: collections.defaultdict(str, token="S3CR3T-DEFAULT"),
    lambda: types.MappingProxyType({"api_key": "S3CR3T-PROXY"}),
], ids=["OrderedDict", "defaultdict", "MappingProxyType"])
def test_secrets_in_other_mappings_are_hidden(make_capture, make):
    capture = make_capture()
    capture.trace(lambda options: None)(make())
    assert SECRET.findall(Path(capture.config.log_filename).read_bytes()) == []
