"""The commands and options of ``logprov``, pinned: a change to the parser shows here first."""

from __future__ import annotations

import re

import pytest

from logprov.cli import main
from logprov.cli.parser import build_parser

#: What ``logprov --help`` lists: each command with its one-line summary, in order.
COMMANDS = {
    "export": "write the logs as a PROV document",
    "graph": "draw the provenance graph",
    "search": "find activities and entities",
    "lineage": "where an entity comes from, or what came of it",
    "note": "append a note on a session or an activity to a log",
    "sessions": "list the sessions",
    "embed": "write the lineage of a product into it",
    "validate": "check definition files",
    "sparql": "run a SPARQL query over the PROV-O graph",
    "report": "write an HTML page of the logs",
    "diff": "what differs between two sessions, products or activities",
    "load": "load logs into a shared store (SQLite or PostgreSQL)",
    "index": "build or update the index of logs",
}

#: The usage line of each command (whitespace made single spaces): its options, their
#: arguments and choices, and its positional arguments.
USAGES = {
    "export": "[-h] [--store URL] [--since TIME] [--until TIME] [--session ID] [-q] "
              "[-f {json,provn,xml,ttl,jsonld,rdfxml,nt,dot,svg,png,pdf}] [-o OUT] [LOG ...]",
    "graph": "[-h] [--store URL] [--since TIME] [--until TIME] [--session ID] [--no-index] [-q] -o OUT [--entity ID] "
             "[--depth N] [--direction {ancestors,descendants,both}] [--attributes | --no-attributes] "
             "[--parameters | --no-parameters] [--agents | --no-agents] [--sessions {box,node,hide}] "
             "[--rankdir {BT,TB,LR,RL}] [--max-nodes N] [LOG ...]",
    "search": "[-h] [--store URL] [--since TIME] [--until TIME] [--session ID] [--no-index] [-q] [--job ID] "
              "[--activity GLOB] "
              "[--status {success,failed,incomplete}] [--where KEY=VALUE] [--entity ID-PREFIX] "
              "[--location GLOB] [--role ROLE] [--type TYPE] [--file PATH] [--note TEXT] [--limit N] "
              "[--json] [LOG ...]",
    "lineage": "[-h] [--store URL] [--since TIME] [--until TIME] [--session ID] [--no-index] [-q] [--descendants] "
               "[--depth N] [--format {tree,json,svg,png,pdf,dot}] [-o OUT] [--json] "
               "LOG ... TARGET [LOG ... TARGET ...]",
    "note": "[-h] LOG SESSION_OR_ACTIVITY TEXT",
    "sessions": "[-h] [--store URL] [--since TIME] [--until TIME] [--session ID] [--no-index] [-q] [--job ID] "
                "[--json] [LOG ...]",
    "embed": "[-h] PRODUCT LOG [LOG ...]",
    "validate": "[-h] [--json] DEFINITION [DEFINITION ...]",
    "sparql": "[-h] [--file Q.rq] [--since TIME] [--until TIME] [--session ID] [-q] [--json] "
              "LOG ... QUERY [LOG ... QUERY ...]",
    "report": "[-h] [--since TIME] [--until TIME] [--session ID] [-q] -o OUT.html [--graph-nodes N] LOG [LOG ...]",
    "diff": "[-h] [--since TIME] [--until TIME] [--session ID] [-q] [--json] LOG ... A B [LOG ... A B ...]",
    "load": "[-h] --store URL [-q] [--json] LOG [LOG ...]",
    "index": "[-h] [-q] [--json] LOG [LOG ...]",
}


def help_text(capsys, *argv: str) -> str:
    assert main([*argv, "--help"]) == 0
    return capsys.readouterr().out


def usage(text: str) -> str:
    return " ".join(text.split("\n\n")[0].split())


def test_the_commands_and_their_summaries(capsys):
    text = help_text(capsys)
    assert usage(text) == "usage: logprov [-h] [--version] COMMAND ..."
    listed = dict(re.findall(r"^    (\w+) +(\S.*)$", text, re.M))
    assert list(listed.items()) == list(COMMANDS.items())


@pytest.mark.parametrize("command", COMMANDS)
def test_the_options_of_each_command(capsys, command):
    text = help_text(capsys, command)
    assert usage(text) == f"usage: logprov {command} {USAGES[command]}"
    described = re.findall(r"^  (-\S+)", text, re.M)
    used = re.findall(r"\[(-[\w-]+)", USAGES[command]) + re.findall(r"(?<![\[\w-])(-o|--store) ", USAGES[command])
    assert sorted(flag.rstrip(",") for flag in described) == sorted(used)


def test_every_command_with_a_window_takes_and_describes_it_alike(capsys):
    windowed = [command for command in USAGES if "[--since TIME] [--until TIME] [--session ID]" in USAGES[command]]
    assert len(windowed) == 8
    found, described = set(), set()
    for command in windowed:
        output = ["-o", "out"] if command in ("graph", "report") else []
        args = build_parser().parse_args([command, "--since", "2026-11-21", "--until", "2026-11-22T10:00:00",
                                          "--session", "6f1c", "--session", "8a2d", *output, "a.log", "b", "c"])
        found.add((args.since, args.until, tuple(args.session)))
        text = help_text(capsys, command)
        options = re.findall(r"^  (--(?:since|until|session) .*(?:\n {16,}\S.*)*)", text, re.M)
        described.add(tuple(" ".join(option.split()) for option in options))
    assert found == {("2026-11-21", "2026-11-22T10:00:00", ("6f1c", "8a2d"))}
    assert len(described) == 1 and len(described.pop()) == 3
