"""Logs and counts for the store tests: synthetic logs whose calls chain through values, files,
members and derivations; the rows a store must hold for some logs, and the rows it holds."""

from __future__ import annotations

from pathlib import Path

from logprov.reading.reader import iter_records
from logprov.store.engines import connect
from logs import SyntheticLog, file_entity, value_entity


def synthetic_log(path: Path, number: int, calls: int = 6) -> Path:
    """A log of one session whose calls chain through values, files, members and derivations."""
    log = SyntheticLog()
    log.clock = number * 10_000.0
    log.counter = number * 10_000
    session = log.session(number)
    previous = value_entity(session, f"seed{number}", number, id_scheme="path")
    last = log.call(session, "seed", generated=[(previous, "seed")], parameters={"n": number})
    for step in range(calls):
        made = file_entity(session, f"/data/{number}/step{step}.fits", f"{number:04d}{step:060d}",
                           digest=f"sha256:{step:064d}", identified_by="ctapipe", product_id=f"{number}-{step}",
                           reference_meta='{"CTA PRODUCT ID": "%d"}' % step)
        member = value_entity(session, f"part{number}.{step}", step)
        derivation = {"entity_id": made["entity_id"], "progenitor_id": previous["entity_id"],
                      "in_session": session}
        changes = [derivation, dict(derivation, in_activity=last)]
        if step % 2:
            changes.append(dict(derivation, untraced=True, generated_time=log.now()))
        last = log.call(session, f"step_{step % 3}", used=[(previous, "input")], generated=[(made, "output")],
                        members=[(made["entity_id"], member)], derivations=changes,
                        parameters={"step": step, "nested": {"k": [step, "x"]}},
                        status="failed" if step == calls - 1 else "success",
                        exception=("ValueError", "bad step") if step == calls - 1 else None)
        previous = made
    log.end_session(session)
    return log.write(path)


def expected_rows(logs) -> dict:
    """Count what the logs hold, read record by record: the rows a store must have (the time
    of an untraced derivation is a description of the derived entity)."""
    counts = dict.fromkeys(("used", "wasGeneratedBy", "hadMember", "wasDerivedFrom", "entity_record"), 0)
    activities, sessions = set(), set()
    for record in iter_records([str(log) for log in logs]):
        data = record.data
        if "activity_id" in data:
            activities.add(data["activity_id"])
            counts["used"] += "used_id" in data
            counts["wasGeneratedBy"] += "generated_id" in data
        elif "entity_id" in data:
            key = "hadMember" if "member_id" in data else "wasDerivedFrom" if "progenitor_id" in data \
                else "entity_record"
            counts[key] += 1
            counts["entity_record"] += key == "wasDerivedFrom" and "generated_time" in data
        elif "session_id" in data:
            sessions.add(data["session_id"])
    return {**counts, "activity": len(activities), "session": len(sessions)}


def stored_rows(address: str) -> dict:
    engine = connect(address)
    try:
        return {table: engine.rows(f"SELECT count(*) FROM {table}")[0][0]
                for table in ("used", "wasGeneratedBy", "hadMember", "wasDerivedFrom", "entity_record",
                              "activity", "session")}
    finally:
        engine.close()


def entity_answers(provenance) -> list:
    """Every entity's lineage both ways, and a few searches."""
    found = []
    for entity in provenance.find_entities():
        found.append(list(provenance.lineage(entity.id).to_dicts()))
        found.append(list(provenance.lineage(entity.id, descendants=True, depth=2).to_dicts()))
    found.append([m.to_dict() for m in provenance.search(activity="step_*", status="failed")])
    found.append([m.to_dict() for m in provenance.search(role="out*")])
    found.append([s.to_dict() for s in provenance.sessions()])
    found.append(provenance.counts())
    return found
