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
from hypothesis import given, settings
from hypothesis import strategies as st

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


# Every secret holds "s3cr3t" in each piece between "/", "@" and ":", so that a partial leak
# (the part of a password after a "/" or an "@") is found by the same scan.
PLANTED = {
    "positional argument password": "s3cr3t01",
    "keyword argument db_pass": "s3cr3t02",
    "keyword argument api_key": "s3cr3t03",
    "**kwargs name github_pat": "s3cr3t04",
    "nested client_secret in an argument entity": "s3cr3t05",
    "pwd in a dict in a list": "s3cr3t06",
    "URL password with a slash": "s3cr3t07a/s3cr3t07b",
    "URL password with an at sign": "s3cr3t08a@s3cr3t08b",
    "URL password with a colon": "s3cr3t09a:s3cr3t09b",
    "token as the user of a github URL": "s3cr3t10",
    "Bearer string under an innocent name": "s3cr3t11",
    "Authorization Basic string": "s3cr3t12",
    "URL inside a set": "s3cr3t13",
    "dataclass field password": "s3cr3t14",
    "namedtuple field passphrase": "s3cr3t15",
    "definition parameter conn from args.cfg.password": "s3cr3t16",
    "definition parameter from a secret key": "s3cr3t17",
    "usage value path args.cfg.token": "s3cr3t18",
    "result key session": "s3cr3t19",
    "URL credentials in a mapping key": "s3cr3t20",
    "exception message URL password": "s3cr3t21",
    "exception message password=": "s3cr3t22",
    "exception message Bearer": "s3cr3t23",
    "environment DB_PASS": "s3cr3t24",
    "environment GITHUB_PAT": "s3cr3t25",
    "environment URL password with a slash": "s3cr3t26a/s3cr3t26b",
    "environment SESSION_COOKIE": "s3cr3t27",
    "argv -p value": "s3cr3t28",
    "argv -pVALUE": "s3cr3t29",
    "argv --password=value": "s3cr3t30",
    "argv --api-key value": "s3cr3t31",
    "argv positional URL": "s3cr3t32",
    "argv header with Bearer": "s3cr3t33",
    "system_dict dsn": "s3cr3t34",
    "system_dict nested signature": "s3cr3t35",
    "keyword argument session_cookie": "s3cr3t36",
    "gitlab token URL in a tuple": "s3cr3t37",
    "repr of an object showing password=": "s3cr3t38",
    "dataclass field db_pass inside a list": "s3cr3t39",
}
SCRUTINISED = re.compile(rb"s3cr3t", re.IGNORECASE)
PLANTING = textwrap.dedent(
    """
    import collections, dataclasses, sys, types
    import logprov

    S = {planted!r}
    capture = logprov.ProvCapture(
        definitions={{"activities": {{"login": {{
            "parameters": [{{"name": "conn", "value": "args.cfg.password"}},
                           {{"name": "entry", "value": "args.store['db_pass']"}},
                           {{"name": "user", "value": "args.cfg.user"}}],
            "usage": [{{"role": "credentials", "value": "args.cfg.token"}}],
        }}}}}},
        config={{
            "log_filename": sys.argv[1], "record_git": False, "record_packages": False,
            "env_vars": ["DB_PASS", "GITHUB_PAT", "ARCHIVE_URL", "SESSION_COOKIE", "PLAIN_SETTING"],
            "system_dict": {{"site": "La Palma", "dsn": S["system_dict dsn"],
                            "service": {{"signature": S["system_dict nested signature"], "kind": "vault"}}}},
        }},
    )


    @dataclasses.dataclass
    class Connection:
        host: str
        password: str


    @dataclasses.dataclass
    class Mirror:
        name: str
        db_pass: str


    Credentials = collections.namedtuple("Credentials", "user passphrase")


    class Client:
        def __repr__(self):
            return "Client(url='https://archive.example.org', password=" + S["repr of an object showing password="] + ")"


    @capture.trace
    def connect(host, password, options, url, target, repo, header, note, mirrors, connection, identity,
                keyed, client, places, db_pass=None, api_key=None, **extra):
        return {{"session": S["result key session"], "host": host}}


    @capture.trace
    def login(cfg, store):
        return "logged in"


    @capture.trace
    def fail(url):
        raise ConnectionError(
            f"cannot reach https://dave:{{S['exception message URL password']}}@db.example.org/x "
            f"with password={{S['exception message password=']}}, "
            f"header Bearer {{S['exception message Bearer']}}"
        )


    connect(
        "db.example.org", S["positional argument password"],
        {{"auth": {{"client_secret": S["nested client_secret in an argument entity"]}},
          "servers": [{{"name": "a", "pwd": S["pwd in a dict in a list"]}}]}},
        "https://alice:" + S["URL password with a slash"] + "@h.example.org/x",
        ["postgresql://u:" + S["URL password with an at sign"] + "@db.example.org/x",
         "https://bob:" + S["URL password with a colon"] + "@h.example.org/y"],
        "https://" + S["token as the user of a github URL"] + "@github.com/o/r.git",
        "Bearer " + S["Bearer string under an innocent name"],
        "Authorization: Basic " + S["Authorization Basic string"],
        {{"https://carol:" + S["URL inside a set"] + "@h.example.org/", "https://plain.example.org/"}},
        Connection("db.example.org", S["dataclass field password"]),
        Credentials("jdoe", S["namedtuple field passphrase"]),
        {{"https://erin:" + S["URL credentials in a mapping key"] + "@h.example.org": 1}},
        Client(),
        ("x", "https://" + S["gitlab token URL in a tuple"] + "@gitlab.com/o/r.git",
         [Mirror("m1", S["dataclass field db_pass inside a list"])]),
        db_pass=S["keyword argument db_pass"], api_key=S["keyword argument api_key"],
        github_pat=S["**kwargs name github_pat"], session_cookie=S["keyword argument session_cookie"],
    )
    login(types.SimpleNamespace(password=S["definition parameter conn from args.cfg.password"], user="jdoe",
                                token=S["usage value path args.cfg.token"]),
          {{"db_pass": S["definition parameter from a secret key"]}})
    try:
        fail("https://db.example.org")
    except ConnectionError:
        pass
    """
)
EXPORTS = [("export", fmt, f"out.{fmt}") for fmt in ("json", "provn", "xml", "ttl", "nt", "jsonld", "rdfxml", "dot")]
EXPORTS += [("graph", None, "graph.svg"), ("graph", None, "graph.dot")]


@pytest.fixture(scope="module")
def planted_log(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("planted")
    log = folder / "prov.log"
    script = folder / "planting.py"
    script.write_text(PLANTING.format(planted=PLANTED))
    argv = ["-p", PLANTED["argv -p value"], "-p" + PLANTED["argv -pVALUE"], "--password=" + PLANTED["argv --password=value"],
            "--api-key", PLANTED["argv --api-key value"], "https://frank:" + PLANTED["argv positional URL"] + "@h.example.org/",
            "--header=Authorization: Bearer " + PLANTED["argv header with Bearer"], "--verbose", "input.fits"]
    environment = {
        "DB_PASS": PLANTED["environment DB_PASS"], "GITHUB_PAT": PLANTED["environment GITHUB_PAT"],
        "ARCHIVE_URL": "https://gina:" + PLANTED["environment URL password with a slash"] + "@h.example.org/tap",
        "SESSION_COOKIE": PLANTED["environment SESSION_COOKIE"], "PLAIN_SETTING": "visible-setting",
    }
    subprocess.run([sys.executable, str(script), str(log), *argv], cwd=folder, env={**os.environ, **environment},
                   check=True, timeout=60)
    return log


def test_at_least_thirty_planted_secrets_never_reach_the_log(planted_log):
    assert len(PLANTED) >= 30 and len(set(PLANTED.values())) == len(PLANTED)
    raw = planted_log.read_bytes()
    assert SCRUTINISED.findall(raw) == []
    records = records_of(planted_log)
    session = records[0]
    assert session["system"]["argv"][2:] == [
        "-p", "***", "-p***", "--password=***", "--api-key", "***", "https://frank:***@h.example.org/",
        "--header=Authorization: Bearer ***", "--verbose", "input.fits",
    ]
    assert session["system"]["environment"]["ARCHIVE_URL"] == "https://gina:***@h.example.org/tap"
    assert session["system"]["environment"]["PLAIN_SETTING"] == "visible-setting"
    assert {session["system"]["environment"][name] for name in ("DB_PASS", "GITHUB_PAT", "SESSION_COOKIE")} == {"***"}
    assert session["system"]["site"] == "La Palma"
    connect, login, _ = [r["parameters"] for r in records if "parameters" in r]
    assert connect["host"] == "db.example.org"
    assert connect["url"] == "https://alice:***@h.example.org/x"
    assert connect["repo"] == "https://***@github.com/o/r.git"
    assert (connect["header"], connect["note"]) == ("Bearer ***", "Authorization: Basic ***")
    assert login == {"conn": "***", "entry": "***", "user": "jdoe"}
    (failed,) = [r for r in records if r.get("status") == "failed"]
    assert failed["exception_message"].startswith("cannot reach https://dave:***@db.example.org/x with password=***")


@pytest.mark.parametrize("command, fmt, name", EXPORTS, ids=[name for *_, name in EXPORTS])
def test_planted_secrets_reach_no_export(planted_log, tmp_path, command, fmt, name):
    from logprov.cli import main

    out = tmp_path / name
    argv = [command, str(planted_log), "-o", str(out)] + (["-f", fmt] if fmt else [])
    assert main(argv) == 0
    data = out.read_bytes()
    assert b"connect" in data and b"login" in data
    assert SCRUTINISED.findall(data) == []


SECRET_NAMES = ["db_pass", "DB_PASS", "dbPass", "GITHUB_PAT", "password", "passwords", "dbpassword", "api-key",
                "apiKey", "x_api_key", "XApiKey", "apikey", "client_secret", "session_cookie", "Set-Cookie",
                "access_token", "mytoken", "pwd", "db_pw", "dsn", "signature", "session", "Authorization",
                "AWS_SECRET_ACCESS_KEY", "SSH_PRIVATE_KEY", "privatekey", "credentials", "passphrase"]
INNOCENT_NAMES = ["passage", "compass", "bypass", "path", "pattern", "tokenizer", "secretary", "datastore",
                  "hostname", "observations", "spatial", "keys", "patch", "signal", "", "_"]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_secret_names_are_matched_by_words(name):
    from logprov.capture.secrecy import DEFAULT_SECRET_WORDS, SecrecyPolicy

    assert SecrecyPolicy(DEFAULT_SECRET_WORDS)(name)


@pytest.mark.parametrize("name", INNOCENT_NAMES)
def test_innocent_names_holding_a_secret_word_are_kept(name):
    from logprov.capture.secrecy import DEFAULT_SECRET_WORDS, SecrecyPolicy

    assert not SecrecyPolicy(DEFAULT_SECRET_WORDS)(name)


def test_configuration_and_capture_share_one_policy(make_capture):
    from logprov.settings.config import Config

    capture = make_capture(redact_extra=["Codeword"])
    assert capture.secret is capture.config.secrecy
    for name in SECRET_NAMES + INNOCENT_NAMES + ["codeword", "my_codeword", "api-key"]:
        assert capture.config.is_secret(name) == capture.secret(name), name
    assert Config().is_secret("api-key") and Config().is_secret("API_KEY")
    assert capture.config.redact_extra == ("codeword",)
    assert Config(redact=["apiKey", "API-Key", "db pass"]).redact == ("api_key", "db_pass")


@pytest.mark.parametrize("text, shown", [
    ("https://alice:ab/cd@h.org/x", "https://alice:***@h.org/x"),
    ("postgresql://u:ab@cd@db/x", "postgresql://u:***@db/x"),
    ("redis://:p:a:ss@cache:6379/0", "redis://:***@cache:6379/0"),
    ("https://TOKEN@github.com/o/r.git", "https://***@github.com/o/r.git"),
    ("git+https://ghp_x1@api.github.com/repos", "git+https://***@api.github.com/repos"),
    ("https://oauth2:glpat-1@gitlab.com/g/p.git", "https://oauth2:***@gitlab.com/g/p.git"),
    ("ssh://git@github.com/o/r.git", "ssh://git@github.com/o/r.git"),
    ("https://jdoe@archive.example.org/tap", "https://jdoe@archive.example.org/tap"),
    ("clone https://a:b@h.org/x and https://c:d@h2.org/y", "clone https://a:***@h.org/x and https://c:***@h2.org/y"),
    ("Authorization: Bearer abc.DEF-1", "Authorization: Bearer ***"),
    ("authorization=Basic dXNlcjpwYXNz", "authorization=Basic ***"),
    ("{'Authorization': 'token ghp_1'}", "{'Authorization': '***'}"),
    ("bearer abc", "bearer ***"),
    ("login failed: password=hunter2&user=jdoe", "login failed: password=***&user=jdoe"),
    ("Connection(host='db', password='it\\'s')", "Connection(host='db', password='***')"),
    ('{"db_pass": "x", "n": 1}', '{"db_pass": "***", "n": 1}'),
    ("--db-pass=x", "--db-pass=***"),
    ("DB_PASS: x y", "DB_PASS: *** y"),
    ("passage: 1, compass=3, path=/tmp/x", "passage: 1, compass=3, path=/tmp/x"),
    ("2026-12-02T00:19:53 PATH=/usr/bin:/bin", "2026-12-02T00:19:53 PATH=/usr/bin:/bin"),
    ("a plain sentence", "a plain sentence"),
])
def test_secrets_inside_texts_are_hidden(text, shown):
    from logprov.capture.secrecy import DEFAULT_SECRET_WORDS, SecrecyPolicy

    assert SecrecyPolicy(DEFAULT_SECRET_WORDS).redact_text(text) == shown


URL_USER = st.text(st.sampled_from("abcXYZ019-_.%~+!$&()*,;="), max_size=8)
URL_PASSWORD = st.text(st.sampled_from("abcXYZ019-_.%~+!$&()*,;=/@:?#[]"), min_size=1, max_size=16)


@given(user=URL_USER, password=URL_PASSWORD, host=st.sampled_from(["h.org", "db.example.org:5432", "[::1]"]),
       tail=st.sampled_from(["", "/", "/x/y?q=1#f"]))
def test_any_url_password_is_hidden(user, password, host, tail):
    from logprov.capture.secrecy import DEFAULT_SECRET_WORDS, SecrecyPolicy

    policy = SecrecyPolicy(DEFAULT_SECRET_WORDS)
    url = f"https://{user}:{password}@{host}{tail}"
    assert policy.redact_text(url) == f"https://{user}:***@{host}{tail}"
    assert policy.redact_text(f"cannot open {url!r}: refused") == f"cannot open 'https://{user}:***@{host}{tail}': refused"


@given(st.text(st.sampled_from("ab pw=:@/'\"\\{}[],;&Bearer https://github.com x"), max_size=60))
def test_quick_checks_of_redact_text_equal_the_plain_path(text):
    from logprov.capture.secrecy import DEFAULT_SECRET_WORDS, SecrecyPolicy

    policy = SecrecyPolicy(DEFAULT_SECRET_WORDS)
    assert policy.redact_text(text) == policy.scan(text)


NAME_PART = st.sampled_from(["pass", "Pass", "PASS", "word", "pw", "d", "api", "Key", "_", "-", ".", "db", "My",
                             "token", "s", "x1", "9", "session", "Signature", "pat", "h", "bearer", "İ", "é", "K"])


@given(st.lists(NAME_PART, max_size=6).map("".join), st.sampled_from([(), ("db_host",), ("x", "login_name")]))
def test_the_quick_check_of_secret_names_equals_the_plain_path(name, extra):
    from logprov.capture.secrecy import DEFAULT_SECRET_WORDS, SecrecyPolicy

    policy = SecrecyPolicy(DEFAULT_SECRET_WORDS + extra)
    assert policy(name) is policy.scan_name(name)
    assert policy(name) is policy.scan_name(name), "the remembered decision"


def test_secret_command_line_options_short_and_long():
    from logprov.capture.secrecy import DEFAULT_SECRET_WORDS, SecrecyPolicy

    argv = ["tool", "-p", "a1", "-pa2", "-p=a3", "--password", "a4", "--api-key=a5", "-token", "a6", "--db-pass", "a7",
            "-v", "-5", "--port", "5432", "user=jdoe", "password=a8", "https://u:a9@h.org/"]
    assert SecrecyPolicy(DEFAULT_SECRET_WORDS).redact_arguments(argv) == [
        "tool", "-p", "***", "-p***", "-p=***", "--password", "***", "--api-key=***", "-token", "***", "--db-pass", "***",
        "-v", "-5", "--port", "5432", "user=jdoe", "password=***", "https://u:***@h.org/",
    ]


def test_a_long_text_is_redacted_before_it_is_shortened(make_capture, records):
    capture = make_capture(value_length=40)

    @capture.trace
    def connect(target):
        return None

    with records(capture) as log:
        connect("x" * 30 + " https://jdoe:" + "p" * 200 + "@db.example.org/x")
    shown = log.of_kind("parameters")[0]["parameters"]["target"]
    assert "p" * 5 not in shown and shown.startswith("x" * 30) and shown.endswith("...") and len(shown) == 40


def test_failed_calls_hide_secrets_in_exception_messages(make_capture, records):
    capture = make_capture()

    @capture.trace
    def connect(url):
        raise ConnectionError(f"cannot reach {url} with password=hunter2; header Bearer abc123")

    with records(capture) as log, pytest.raises(ConnectionError) as info:
        connect("https://jdoe:s3cr3t/x@db.example.org/x")
    assert "s3cr3t/x" in str(info.value)
    (ended,) = [r for r in log.records if r.get("status") == "failed"]
    assert ended["exception_message"] == (
        "cannot reach https://jdoe:***@db.example.org/x with password=***; header Bearer ***"
    )


def test_failed_calls_hide_the_values_of_their_secret_arguments_in_exception_messages(make_capture, records):
    capture = make_capture()

    @capture.trace
    def connect(host, password, options=None):
        raise PermissionError(f"login to {host} refused for password {password} (key {options['auth']['api_key']})")

    with records(capture) as log, pytest.raises(PermissionError):
        connect("db.example.org", "hunter2-x", options={"auth": {"api_key": "k-123456"}, "retries": 3})
    with records(capture) as unbound, pytest.raises(TypeError):
        connect("db.example.org")
    (ended,) = [r for r in log.records if r.get("status") == "failed"]
    assert ended["exception_message"] == "login to db.example.org refused for password *** (key ***)"
    (refused,) = [r for r in unbound.records if r.get("status") == "failed"]
    assert refused["exception_type"] == "TypeError" and "password" in refused["exception_message"]


def test_definition_paths_with_a_secret_name_hide_the_value(make_capture, records):
    definitions = {"activities": {"login": {
        "parameters": [{"name": "conn", "value": "args.cfg.password"}, {"name": "host", "value": "args.cfg.host"},
                       {"name": "key", "value": "args.cfg['api_key'].strip()"}],
        "usage": [{"role": "config", "value": "args.cfg.password"}, {"role": "host", "value": "args.cfg.host"}],
    }}}
    capture = make_capture(definitions)

    @capture.trace
    def login(cfg):
        return None

    with records(capture) as log:
        login({"password": "hunter2", "host": "db.example.org", "api_key": " k1 "})
    assert log.of_kind("parameters")[0]["parameters"] == {"conn": "***", "host": "db.example.org", "key": "***"}
    values = {r["location"]: r["value"] for r in log.records if "value" in r}
    assert values == {"args.cfg.password": "***", "args.cfg.host": "db.example.org"}


def test_warnings_of_the_capture_hide_secrets(make_capture, records):
    class Client:
        def connect(self):
            raise ConnectionError("cannot reach https://jdoe:s3cr3t-w@db.example.org with token=s3cr3t-t")

    capture = make_capture({"activities": {"query": {"parameters": [{"name": "link", "value": "args.client.connect()"}]}}})

    @capture.trace
    def query(client):
        return None

    with records(capture) as log:
        query(Client())
    (warning,) = log.warnings
    assert "https://jdoe:***@db.example.org with token=***" in warning
    assert "s3cr3t" not in Path(capture.config.log_filename).read_text()


PASSWORDS = st.text(st.sampled_from("XYZ019-_.%~!$&*+/@:"), min_size=1, max_size=12).map(lambda p: "Zq" + p)
INNOCENT_KEYS = st.sampled_from(["name", "url", "target", "mirror", 1, ("a", "b")])


def holding(password):
    url = st.just(f"https://jdoe:{password}@h.example.org/x")
    leaves = url | st.integers() | st.sampled_from(["plain", "a:b", "x=y"])
    return st.recursive(leaves, lambda inner: (
        st.lists(inner, max_size=4) | st.tuples(inner, inner) | st.dictionaries(INNOCENT_KEYS, inner, max_size=3)
        | st.frozensets(url | st.integers(), max_size=3)
    ), max_leaves=12)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_url_passwords_are_hidden_at_any_depth_of_any_container(data):
    from logprov.capture.secrecy import DEFAULT_SECRET_WORDS, SecrecyPolicy
    from logprov.capture.values import ValueWriter

    password = data.draw(PASSWORDS)
    value = data.draw(holding(password))
    writer = ValueWriter(SecrecyPolicy(DEFAULT_SECRET_WORDS), limit=10_000)
    assert "Zq" not in json.dumps(writer.convert(value))
    assert "Zq" not in writer.text(value)
    assert "Zq" not in json.dumps(writer.parameters([("options", value)]))


def test_a_password_attached_to_p_is_hidden_even_when_it_holds_a_secret_word():
    """``-pHunter2Pass`` reads as a secret name too (its words hold ``pass``): the value after
    ``-p`` is hidden all the same, and so is the next argument, as after ``-password``."""
    from logprov.capture.secrecy import DEFAULT_SECRET_WORDS, SecrecyPolicy

    policy = SecrecyPolicy(DEFAULT_SECRET_WORDS)
    assert policy.redact_arguments(["tool", "-pHunter2Pass", "data.fits", "-pSecret_1", "-v"]) == [
        "tool", "-p***", "***", "-p***", "***"]
    assert policy.redact_arguments(["tool", "-password", "a1", "-pa2", "out.fits", "-pa=b3", "-v"]) == [
        "tool", "-p***", "***", "-p***", "out.fits", "-p***", "-v"]
