"""The traced analyses that the query and command tests read: two functions of a spectral fit,
their definitions, and the ids of files as logged."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LEGACY = ROOT / "tests" / "data" / "legacy" / "prov_test.log"
LEGACY_FILE = "file:88dd4d188aeb132bb03008a855a93bc045d5c7ca"

FILES = {
    "activities": {
        "reduce_events": {
            "parameters": [{"name": "energy bins", "value": "args.edges"}],
            "usage": [{"role": "event list", "entityType": "EventList", "location": "args.events_file"}],
            "generation": [{"role": "counts spectrum", "entityType": "Spectrum", "location": "result"}],
        },
        "fit_spectrum": {
            "parameters": [{"name": "method", "value": "kwargs.method"},
                           {"name": "options", "value": "kwargs.options"}],
            "usage": [{"role": "counts spectrum", "entityType": "Spectrum", "location": "args.spectrum_file"}],
            "generation": [{"role": "fit result", "entityType": "FitResult", "location": "result"}],
        },
    },
    "entities": {
        "EventList": {"type": "File", "contentType": "application/json"},
        "Spectrum": {"type": "File", "contentType": "application/json"},
        "FitResult": {"type": "File", "contentType": "application/json"},
    },
}


def file_id(path: Path) -> str:
    return "file:" + hashlib.sha256(path.read_bytes()).hexdigest()


def reduce_events(events_file: str, edges: list, output: str) -> str:
    energies = json.loads(Path(events_file).read_text())
    counts = [sum(1 for e in energies if low <= e < high) for low, high in zip(edges[:-1], edges[1:])]
    Path(output).write_text(json.dumps({"edges": edges, "counts": counts}))
    return output


def fit_spectrum(spectrum_file: str, output: str, method: str = "lsq", options: dict | None = None) -> str:
    if method != "lsq":
        raise ValueError(f"unknown fit method {method!r}")
    spectrum = json.loads(Path(spectrum_file).read_text())
    Path(output).write_text(json.dumps({"index": round(math.log(1 + sum(spectrum["counts"])), 3)}))
    return output


def answers(provenance, analysis, two_sessions, everything: bool) -> list:
    """What the query tests compare between backends: sessions, searches, lineages, counts."""
    found = [
        [s.to_dict() for s in provenance.sessions()],
        [a.to_dict() for a in provenance.find_activities()],
        [e.to_dict() for e in provenance.find_entities()],
        [m.to_dict() for m in provenance.search(location="*.json")],
        [m.to_dict() for m in provenance.search(entity="file:", status="success")],
        list(provenance.lineage(file_id(two_sessions.spectrum)).to_dicts()),
        list(provenance.lineage(file_id(two_sessions.spectrum), descendants=True).to_dicts()),
        provenance.counts(),
    ]
    if everything:
        found.append(list(provenance.lineage(analysis.output).to_dicts()))
        found.append(list(provenance.lineage("23523", descendants=True).to_dicts()))
    return found
