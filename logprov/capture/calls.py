"""The call recorder: one traced call (or block) becomes its batches of records.

A call begins with a start batch (the session record when the session begins with it, the
derivations of used entities changed since they were last logged, the start record, the
parameters, the used entities) and ends with an end batch (what it generated, the used entities
it changed, the end record, or the failure record of an exception). `CallRecorder` is the
public API for both traced functions (`begin`, `end`) and blocks (`begin_block`, `end`,
`log_entity`), which `ProvCapture` and `ActivityContext` use.
"""

from __future__ import annotations

import contextvars
import logging
import os
import time
import weakref
from collections.abc import Mapping
from logging import INFO
from typing import Any

from ..handlers import log_files
from ..records import keys as K
from ..settings.config import Config
from ..settings.definitions import Definitions
from . import recordmaker
from .entities import EntityFactory
from .entitylog import EntityLog
from .environment import FACTS_WAIT
from .flusher import Flusher
from .plans import ActivityPlan
from .problems import Problems
from .process import INHERITED, current_pid
from .runs import Run
from .scope import CallScope
from .secrecy import REDACTED, SecrecyPolicy
from .sessions import Session, Sessions
from .uuids import new_uuid
from .values import ValueWriter
from ..records.lines import dumps, fragment, quote
from ..records.templates import END, GENERATED, PARAMETERS, START, USED
from .writer import RecordWriter, now

__all__ = ["CallRecorder"]

#: True while the capture inspects values: nothing is logged then (no traced call of the
#: user's code that the inspection runs is logged).
_SUSPENDED: contextvars.ContextVar[bool] = contextvars.ContextVar("logprov_suspended", default=False)
_clock = time.perf_counter
#: The members naming the parent activity at the end of a start record.
_PARENT_TAIL = "," + quote(K.PARENT_ACTIVITY_ID) + ':"%s"'
#: Module of the session that a block or a note outside activities begins.
_MAIN = "__main__"
#: Static descriptions of the files and values given to `CallRecorder.log_entity`.
_FILE = {K.TYPE: "File"}
_PYTHON_OBJECT = {K.TYPE: "PythonObject"}


class CallRecorder:
    """Write the records of traced calls and blocks, as batches on the capture's logger.

    Parameters
    ----------
    config : Config
        The configuration.
    definitions : Definitions
        The activity and entity descriptions (written in the session record).
    secret : SecrecyPolicy
        Hides secrets.
    values : ValueWriter
        Converts parameters and attributes.
    entities : EntityFactory
        Identifies values and files.
    writer : RecordWriter
        Writes the batches.
    problems : Problems
        Where what cannot be logged is reported.
    agent_name : str
        The agent of the activities.
    job, container : mapping or None
        What the process runs for and in, written in the session record.
    """

    def __init__(self, config: Config, definitions: Definitions, secret: SecrecyPolicy, values: ValueWriter,
                 entities: EntityFactory, writer: RecordWriter, problems: Problems, agent_name: str,
                 job: Mapping[str, str] | None = None, container: Mapping[str, str] | None = None) -> None:
        self.config = config
        self.agent_name = agent_name
        self.secret = secret
        self.values = values
        self.writer = writer
        self.logger: logging.Logger = writer.logger
        self.problems = problems
        self.entity_log = EntityLog(config, secret, entities, problems)
        self.sessions = Sessions(config, definitions, secret, writer, problems, self.release_all, job, container)
        self._facts = self.sessions.code_facts
        self._current: contextvars.ContextVar[Run | None] = contextvars.ContextVar(
            f"logprov_activity_{id(self)}", default=None
        )
        self._flush_interval = float(config.flush_interval)
        self._running: dict[str, Run] = {}
        self._flusher = Flusher(self._flush_interval, weakref.WeakMethod(self._release_overdue))
        self._agent: tuple[str | None, str] = (None, "")
        _RECORDERS.add(self)

    def set_config(self, config: Config) -> None:
        """Use ``config`` from now on (`ProvCapture.config`)."""
        self.config = config
        self.entity_log.config = config

    def current(self) -> Run | None:
        """Return the activity in progress in this context, or None."""
        return self._current.get()

    # Beginning

    def begin(self, plan: ActivityPlan, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Run | None:
        """Log the start of a call of a traced function; return its run, or None when nothing
        is logged.

        Nothing is logged inside the capture's own inspection of values: whatever the capture
        does runs with tracing suspended in the current context.
        """
        if _SUSPENDED.get():
            return None
        suspended = _SUSPENDED.set(True)
        try:
            return self._start(plan, plan.name, args, kwargs, None)
        finally:
            _SUSPENDED.reset(suspended)

    def begin_block(self, name: str, parameters: Mapping[str, Any] | None) -> Run | None:
        """Log the start of a block of code named ``name``; return its run, or None when
        nothing is logged (as `begin`)."""
        if _SUSPENDED.get():
            return None
        suspended = _SUSPENDED.set(True)
        try:
            return self._start(None, name, (), {}, parameters)
        finally:
            _SUSPENDED.reset(suspended)

    def _start(self, plan: ActivityPlan | None, name: str, args: tuple[Any, ...], kwargs: dict[str, Any],
               parameters: Mapping[str, Any] | None) -> Run | None:
        try:
            if not self.logger.isEnabledFor(INFO):
                return None
            scope = CallScope(plan, args, kwargs) if plan is not None else None
            sessions = self.sessions
            session = sessions.current
            caller = self._current.get()
            inherited = None if caller is not None else INHERITED.get()
            records: list[str]
            if inherited is not None:
                session, records = sessions.joined(inherited[0]), []
            elif caller is not None and caller.session is not session and sessions.is_joined(caller.session):
                session, records = caller.session, []
            elif session is None or session.pid != current_pid() or sessions.unannounced:
                origin = scope.instance if scope is not None else None
                session, records = sessions.for_call(origin, plan.module if plan is not None else _MAIN, self.config,
                                                     self.agent_name)
            else:
                records = []
            activity_id = new_uuid()
            run = Run(activity_id, name, session, scope, plan)
            start_time = now()
            tail = plan.function_tail if plan is not None else ""
            parent = caller
            if parent is not None:
                tail += _PARENT_TAIL % parent.activity_id
                run.within = parent.activity_id
                self.release(parent)
            elif inherited is not None and inherited[1] is not None:
                tail += _PARENT_TAIL % inherited[1]
            start = START % (activity_id, plan.name_text if plan is not None else quote(name), start_time,
                             session.id, self._agent_text(), tail)
            body: list[str] = []
            values = dict(parameters) if parameters else {}
            if plan is not None and scope is not None:
                self.entity_log.inputs(plan, scope, run, values, records, body, start_time)
            records.append(start)
            if values:
                records.append(PARAMETERS % (activity_id, dumps(self.values.parameters(values.items()))))
            records.extend(body)
            if self._flush_interval > 0:
                run.pending.append((start_time, records))
                self._running[activity_id] = run
                self._flusher.ensure_running()
            else:
                self.writer.emit_texts(((start_time, records),))
                if self._facts.prepared is not None:
                    self._facts.start()
            run.token = self._current.set(run)
            return run
        except Exception as exc:
            self.problems.internal_error(name, exc)
            return None

    def _agent_text(self) -> str:
        """Return the agent name as a JSON string (encoded again only when it changed)."""
        name = self.agent_name
        if self._agent[0] is not name:
            self._agent = (name, quote(name))
        return self._agent[1]

    # Start batches held back (``flush_interval``)

    def release(self, run: Run) -> None:
        """Write the start batch of ``run`` now if it is still held back."""
        try:
            pending = run.pending.pop()
        except IndexError:
            return
        self.writer.emit_texts((pending,))
        if self._facts.prepared is not None:
            self._facts.start()

    def release_all(self) -> None:
        """Write every start batch still held back."""
        for run in list(self._running.values()):
            self.release(run)

    def _release_overdue(self) -> None:
        """Write the start batches of activities running for longer than the flush interval."""
        deadline = time.perf_counter() - self._flush_interval
        for run in list(self._running.values()):
            if run.started <= deadline and run.pending:
                self.release(run)

    def stop(self) -> None:
        """Stop the thread writing held-back start batches, and write them all."""
        self._flusher.stop()
        self.release_all()

    # What a block uses and generates, and notes

    def log_entity(self, run: Run | None, target: Any, role: str | None, *, used: bool, file: bool,
                   location: str | None = None) -> str | None:
        """Log a file (``file``, ``target`` is its path) or a Python value used (``used``) or
        generated by the activity ``run``; return its entity id (None when nothing was logged).

        ``location`` is the value path shown for a value.
        """
        suspended = _SUSPENDED.set(True)
        try:
            return self._log_entity(run, target, role, used, file, location)
        finally:
            _SUSPENDED.reset(suspended)

    def _log_entity(self, run: Run | None, target: Any, role: str | None, used: bool, file: bool,
                    location: str | None) -> str | None:
        if run is None:
            self.problems.warn_once(("no-activity", used),
                                    "add_input_file/add_output_file called outside an activity; ignored")
            return None
        entities = self.entity_log.entities
        try:
            if file:
                entity = entities.file(target, None, _FILE)
            else:
                entity = entities.value(target, _PYTHON_OBJECT, location)
        except OSError as exc:
            self.problems.warn_once(("manual-file", str(target)), f"activity {run.name!r}: cannot hash {target!r}: {exc}")
            return None
        self.release(run)
        records: list[str] = []
        timestamp = now()
        log = self.entity_log
        log.describe(run.session, entity, records)
        tail = fragment({K.USED_ROLE if used else K.GENERATED_ROLE: role}) if role is not None else ""
        if used:
            log.check_location(run.session, entity, records, timestamp, run.within)
            records.append(USED % (run.activity_id, quote(entity.id), tail))
        else:
            log.track(entity, run.within)
            records.append(GENERATED % (run.activity_id, quote(entity.id), tail))
            if self.config.embed_products and entity.track is not None:
                run.products.append(entity.track[1])
        self.writer.emit_texts(((timestamp, records),))
        return entity.id

    def note(self, text: str, attributes: Mapping[str, Any]) -> str | None:
        """Log a note about the activity in progress, or about the session outside activities;
        return the note's id (None when it could not be logged)."""
        suspended = _SUSPENDED.set(True)
        try:
            run = self._current.get()
            records: list[str] = []
            session: Session
            if run is not None:
                self.release(run)
                session = run.session
            else:
                session, records = self.sessions.for_call(None, _MAIN, self.config, self.agent_name)
            note_id = new_uuid()
            timestamp = now()
            record = recordmaker.note(
                note_id, self.secret.redact_text(str(text)), session.id, timestamp,
                run.activity_id if run is not None else None,
                self.values.parameters(attributes.items()) if attributes else None,
            )
            records.append(dumps(record))
            self.writer.emit_texts(((timestamp, records),))
            if self._facts.prepared is not None:
                self._facts.start()
            return note_id
        except Exception as exc:
            self.problems.internal_error("note", exc)
            return None
        finally:
            _SUSPENDED.reset(suspended)

    # End

    def end(self, run: Run, result: Any, exc: BaseException | None) -> None:
        """Log the end of ``run``: what it generated when it returned ``result``, or its failure
        with ``exc`` (tracing suspended while the capture inspects the outputs)."""
        suspended = _SUSPENDED.set(True)
        try:
            self._finish(run, result, exc)
        finally:
            _SUSPENDED.reset(suspended)

    def _finish(self, run: Run, result: Any, exc: BaseException | None) -> None:
        try:
            end_time = now()
            records: list[str] = []
            plan, scope = run.plan, run.scope
            if (exc is None and plan is not None and scope is not None
                    and (plan.generation or run.inputs or self.config.log_returned_result)):
                try:
                    self.entity_log.outputs(plan, scope, run, result, records)
                except Exception as error:
                    self.problems.internal_error(run.name, error)
            duration = round(_clock() - run.started, 6)
            if exc is None:
                records.append(END % (run.activity_id, end_time, duration))
            else:
                hidden = _secret_arguments(scope, self.secret)
                message = _exception_message(exc, self.config.value_length * 4, self.secret, hidden)
                records.append(dumps(recordmaker.failed_end(run.activity_id, end_time, duration,
                                                            type(exc).__qualname__, message)))
            self._running.pop(run.activity_id, None)
            batches: tuple[tuple[str, list[str]], ...]
            try:
                batches = (run.pending.pop(), (end_time, records))
            except IndexError:
                batches = ((end_time, records),)
            self.writer.emit_texts(batches)
            if self._facts.prepared is not None:
                self._facts.start()
            if run.products and exc is None:
                self._embed_products(run)
        except Exception as error:
            self.problems.internal_error(run.name, error)
        finally:
            if run.token is not None:
                try:
                    self._current.reset(run.token)
                except ValueError:
                    self._current.set(None)

    def _embed_products(self, run: Run) -> None:
        """Embed the lineage of the FITS and HDF5 files ``run`` generated; a failure is one warning."""
        from ..products.contentid import looks_like_product

        for path in dict.fromkeys(run.products):
            try:
                with open(path, "rb") as stream:
                    if not looks_like_product(stream.read(16)):
                        continue
                self.embed(path, None)
            except Exception as exc:
                self.problems.warn_once(("embed", path), f"activity {run.name!r}: cannot embed the lineage of {path}: {exc}")

    def embed(self, path: str | os.PathLike[str], sources: Any) -> Any:
        """Write the lineage of the file at ``path`` into it, from the logs ``sources`` (by
        default the files the records are written to), once the facts of the session looked up
        on their own thread (git state, packages) are written; see `logprov.embed`."""
        from ..products.embed import embed

        self._facts.wait(FACTS_WAIT)
        for handler in self.logger.handlers:
            handler.flush()
        return embed(path, log_files(self.logger) if sources is None else sources)

    def _after_fork_in_child(self) -> None:
        self._running.clear()


def _secret_arguments(scope: CallScope | None, secrecy: SecrecyPolicy) -> list[str]:
    """Return the values of the secret arguments of a call (none when its arguments do not bind
    to the function's signature, the call having failed for that)."""
    if scope is None:
        return []
    try:
        return secrecy.secret_values(scope.bound())
    except Exception:
        return []


def _exception_message(exc: BaseException, limit: int, secrecy: SecrecyPolicy, hidden: list[str]) -> str:
    """Return the message of ``exc``, shortened to ``limit``, with its secrets and the values
    ``hidden`` (those of the call's secret arguments) replaced by ``***``."""
    try:
        text = str(exc)
    except Exception:
        text = f"<{type(exc).__name__}: str failed>"
    text = text[: limit * 4]
    for value in hidden:
        text = text.replace(value, REDACTED)
    text = secrecy.redact_text(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_RECORDERS: "weakref.WeakSet[CallRecorder]" = weakref.WeakSet()


def _before_fork() -> None:
    for recorder in list(_RECORDERS):
        recorder.release_all()


def _after_fork_in_child() -> None:
    for recorder in list(_RECORDERS):
        recorder._after_fork_in_child()


os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)
