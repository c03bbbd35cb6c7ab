"""The texts of ``logprov --help`` and of the help of each command: what it does, and examples."""

__all__ = ["DESCRIPTION", "SUMMARIES", "DESCRIPTIONS", "EXAMPLES"]

#: The help of ``logprov`` itself.
DESCRIPTION = """\
Search, trace, export and draw the provenance that logprov captured in logs.

Every command that reads logs takes one or more log files, glob patterns (quote them:
'logs/*.log'), .gz files, or - for standard input, and the filters --since/--until (ISO dates
or times; naive ones are local time) and --session (an id, or the start of one). Queries use an
index of the logs, built on first use and extended when a log grows (in $LOGPROV_CACHE or
~/.cache/logprov); --no-index reads the logs into memory instead. logprov load fills a store
shared by many hosts (SQLite or PostgreSQL), which search, lineage, sessions, export and graph
read with --store URL instead of logs.

Exit status: 0 found, 1 nothing found, 2 usage or input error, 141 output closed early (| head)."""

#: One line per command, in the list of ``logprov --help``.
SUMMARIES = {
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

#: What each command does, at the top of its help (shown as written, line breaks included).
DESCRIPTIONS = {
    "export": "Write the logs as one PROV document.",
    "graph": "Draw the provenance graph, or the lineage of one element.",
    "search": "Find activities, and entities with the activities that used or generated them.",
    "lineage": "Show where an entity comes from, or what was made from it.",
    "note": "Append a timestamped note on a session or an activity to a log.",
    "sessions": "List the sessions: when, where, by whom, how many activities and failures.",
    "embed": "Write the lineage of a product into it: a PROVENANCE extension of a FITS file, datasets\n"
             "    under /provenance of an HDF5 file, a sidecar PRODUCT.prov.json for any other file.",
    "validate": "Check definition files against the schema of definitions.",
    "sparql": "Run a SPARQL query over the PROV-O graph of the logs.",
    "report": "Write one self-contained HTML page of the logs: sessions, timeline, graph, activities\n"
              "    and the lineage of each entity.",
    "diff": "Show what differs between two sessions, products or activities: parameters, inputs and\n"
            "    outputs (by content), status, notes, code, packages, Python, machine and environment.",
    "load": "Load logs into a store that many hosts share: an SQLite file or a PostgreSQL database.\n"
            "    Loading again adds nothing; a log that grew loads only its new lines; one whose content\n"
            "    changed is refused. search, lineage, sessions, export and graph read a store with --store.",
    "index": "Build the index of the logs, or bring it up to date.",
}

#: Examples closing the help of each command.
EXAMPLES = {
    "export": """\
examples:
  logprov export prov.log -f provn                    # PROV-N on standard output
  logprov export 'runs/*.log' -f json -o prov.json
  logprov export prov.log.gz -f ttl -o prov.ttl --since 2026-11-21 --until 2026-11-22""",
    "graph": """\
examples:
  logprov graph prov.log -o prov.svg
  logprov graph prov.log -o lineage.png --entity flux_points.fits --depth 4
  logprov graph prov.log -o graph.dot --session 6f1c0f9e --attributes
  logprov graph prov.log -o bare.png --no-parameters --sessions hide --rankdir LR""",
    "search": """\
examples:
  logprov search prov.log --activity 'run_*' --status failed
  logprov search 'logs/*.log' --location '*/model.yaml'           # runs that used or wrote it
  logprov search 'logs/*.log' --file model.yaml --status failed   # by content, failed runs only
  logprov search prov.log --where target=Crab --where 'binning.nbins=20'
  logprov search prov.log --entity obs:23523 --json | jq .activity.name
  logprov search prov.log --note 'bad weather'     # activities with a note holding the text""",
    "note": """\
examples:
  logprov note prov.log 6f1c0f9e "calibration file replaced after this run"
  logprov note prov.log 2b7e41aa "fit diverged: wrong start values"   # an activity id, or its start""",
    "lineage": """\
examples:
  logprov lineage prov.log flux_points.fits            # a file on disk: found by its content
  logprov lineage 'logs/*.log' file:8d1f3a --depth 3    # an entity id, or the start of one
  logprov lineage prov.log obs:23523 --descendants     # what was made from it
  logprov lineage prov.log flux_points.fits --format svg -o lineage.svg
  logprov lineage flux_points.fits                     # a product carrying its provenance""",
    "sessions": """\
examples:
  logprov sessions 'logs/*.log'
  logprov sessions 'logs/*.log' --since yesterday --until today   # yesterday's sessions
  logprov sessions 'logs/*.log' --since 2026-11-21T08:00 --json
  logprov search 'logs/*.log' --session 6f1c0f9e                          # what one of them did""",
    "embed": """\
examples:
  logprov embed flux_points.fits prov.log             # a PROVENANCE extension
  logprov embed dl2.h5 'logs/*.log' a.fits            # datasets under /provenance
  logprov embed plot.png prov.log                     # a sidecar plot.png.prov.json""",
    "validate": """\
examples:
  logprov validate definition.yaml
  logprov validate definitions/*.yaml --json""",
    "sparql": """\
examples:
  logprov sparql prov.log 'SELECT ?a ?name WHERE { ?a a prov:Activity ; rdfs:label ?name }'
  logprov sparql 'logs/*.log' --file docs/queries/failed-activities.rq --json

The prefixes of the PROV-O export are predefined: prov, logprov, voprov, xsd, rdfs, session,
activity, param, agent, desc and those of entity ids (file, ...).""",
    "report": """\
examples:
  logprov report 'logs/*.log' -o report.html        # one page: open it in any browser, offline
  logprov report prov.log -o report.html --session 6f1c0f9e --graph-nodes 100""",
    "diff": """\
examples:
  logprov diff 'logs/*.log' 6f1c0f9e 8a2d4b11            # two sessions (ids or their start)
  logprov diff 'logs/*.log' run1/flux.fits run2/flux.fits  # two products: what made each
  logprov diff prov.log 3c9e0b2a 77d1f0c4 --json          # two activities, as JSON

Exit status: 0 identical, 1 different, 2 usage or input error.""",
    "load": """\
examples:
  logprov load 'logs/*.log' --store prov.db                              # an SQLite file
  logprov load 'logs/*.log' --store postgresql://prov@dbhost/prov        # PGPASSWORD or ~/.pgpass
  logprov lineage --store postgresql://prov@dbhost/prov flux_points.fits
  logprov search --store prov.db --activity run_fit --status failed --job 123456""",
    "index": """\
examples:
  logprov index 'logs/*.log'          # build the index now, or extend it after the logs grew""",
}
