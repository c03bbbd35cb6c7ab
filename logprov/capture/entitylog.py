"""What a traced call used and generated: the entity, usage, generation, membership and
derivation records of its entities, and the memories that tell when an entity changed."""

from __future__ import annotations

from typing import Any, Hashable

from ..records import keys as K
from ..settings.config import Config
from . import recordmaker
from .entities import Entity, EntityFactory
from .parameters import ConfigurationMemo, is_parameter_value, parameter_value
from .plans import OBJECT, ActivityPlan, EntityPlan
from .problems import Problems
from .runs import Run
from .scope import CallScope
from .secrecy import REDACTED, SecrecyPolicy
from .sessions import Session
from .tracking import LocationTracker, ObjectTracker
from ..records.lines import dumps, fragment, quote
from ..records.templates import GENERATED, GENERATED_DIGEST, USED, USED_DIGEST

__all__ = ["EntityLog"]

_SCALARS = (str, int, float, bool, type(None))
_IMMUTABLE = frozenset({str, int, float, bool, complex, bytes, type(None)})
_MAX_MEMBERS = 100_000
_RESULT_ITEMS = 8
#: Id schemes of digests that change with any change of the value's content outside large
#: buffers (those a remembered instance configuration may be looked up with).
_CONTENT_SCHEMES = frozenset({None, "sampled", "pickled"})
#: Static description of a Python value the definitions do not describe.
_PYTHON_OBJECT = {K.TYPE: "PythonObject"}
#: Role of a returned value.
_RESULT = "result"
_RESULT_TAIL = fragment({K.GENERATED_ROLE: _RESULT})


class EntityLog:
    """Find, identify and log the entities of traced calls, remembering what was logged where.

    Parameters
    ----------
    config : Config
        What is logged (arguments, returned values, checks of modified inputs).
    secret : SecrecyPolicy
        Which parameters are hidden.
    entities : EntityFactory
        Identifies values and files.
    problems : Problems
        Where what cannot be logged is reported.
    """

    def __init__(self, config: Config, secret: SecrecyPolicy, entities: EntityFactory, problems: Problems) -> None:
        self.config = config
        self.secret = secret
        self.entities = entities
        self.problems = problems
        self._digest = entities.digester.digest
        self._locations = LocationTracker()
        self._objects = ObjectTracker()
        self._configurations = ConfigurationMemo()

    # Inputs: parameters and usage

    def inputs(self, plan: ActivityPlan, scope: CallScope, run: Run, values: dict[str, Any], derivations: list[str],
               body: list[str], start_time: str) -> None:
        """Resolve the parameters of a call into ``values`` and log what it uses: usage records
        in ``body``, the derivations of entities changed since they were last logged in
        ``derivations``."""
        session, activity_id = run.session, run.activity_id
        secret_paths = self.secret.paths
        for name, path in plan.parameters:
            hidden = secret_paths.get(path.text)
            if hidden or (hidden is None and self.secret.hides_path(path)):
                values[name] = REDACTED
                continue
            try:
                values[name] = scope.resolve(path)[0]
            except Exception as exc:
                self._warn_once((plan.function, "parameter", name), f"activity {plan.name!r}: parameter {name!r}: {exc}; not logged")
        for entity_plan in plan.usage:
            if entity_plan.by_value:
                self._use_value(entity_plan, plan, scope, run, derivations, body, start_time)
                continue
            entity = self._resolve_entity(entity_plan, scope, plan, "usage")
            if entity is None:
                continue
            self.check_location(session, entity, derivations, start_time, run.within)
            if entity.id not in session.described:
                self.describe(session, entity, body)
            body.append(USED % (activity_id, quote(entity.id), entity_plan.used_tail))
            if entity.track is not None and self.config.check_modified_inputs:
                run.inputs.append((entity_plan, entity.id, entity.value))
            if entity_plan.members is not None:
                self._members(entity_plan.members, entity.id, scope, plan, session, body, progenitors=False)
        if plan.instance is not None and scope.instance is not None and self.config.log_args_as_entities:
            self._instance_inputs(plan, plan.instance, scope, run, values, derivations, body, start_time)
        if plan.free_arguments:
            self._argument_inputs(plan, scope, run, values, body, derivations, start_time)

    def _instance_inputs(self, plan: ActivityPlan, instance_plan: EntityPlan, scope: CallScope, run: Run,
                         values: dict[str, Any], derivations: list[str], body: list[str], start_time: str) -> None:
        """Log what an undescribed method reads from its instance: the configuration the instance
        exposes (as ``self.<name>`` parameters) and its state (used as role ``self``, checked for
        a change after the call). The configuration is read again only when the state's id
        changed (`ConfigurationMemo`)."""
        instance = scope.instance
        used = self._use_value(instance_plan, plan, scope, run, derivations, body, start_time)
        state_id = used[0] if used is not None and used[1] in _CONTENT_SCHEMES else None
        try:
            values.update(self._configurations.configuration(instance, state_id))
        except Exception as exc:
            self._warn_once((plan.function, "configuration"),
                            f"activity {plan.name!r}: configuration of the instance: {type(exc).__name__}: {exc}; not logged")
        if used is not None:
            run.inputs.append((instance_plan, used[0], instance))

    def _use_value(self, entity_plan: EntityPlan, plan: ActivityPlan, scope: CallScope, run: Run,
                   derivations: list[str], body: list[str], start_time: str) -> tuple[str, str | None] | None:
        """Log the usage of a Python value identified by its digest alone (a ``by_value`` plan);
        return its id and id scheme, or None when nothing was logged.

        Does what the general path does (location and object checks, description, usage record,
        modification check, members) on the id and value, building an `Entity` only to describe it.
        """
        found = self._value_of(entity_plan, plan, scope, "usage")
        if found is None:
            return None
        value, owner, entity_id, scheme = found
        session = run.session
        last = self._objects.swap(value, entity_id, run.within)
        if owner is not None:
            last_here = self._locations.swap(owner, entity_plan.key, entity_id)
            if self.config.check_modified_inputs:
                run.inputs.append((entity_plan, entity_id, value))
        else:
            last_here = None
        if (last is not None and last[0] != entity_id) or (last_here is not None and last_here != entity_id):
            entity = self.entities.known(entity_plan, value, owner, entity_id, scheme)
            self._changed(session, entity, last, last_here, run.within, derivations, start_time)
        if entity_id not in session.described:
            self.describe(session, self.entities.known(entity_plan, value, owner, entity_id, scheme), body)
        body.append(USED_DIGEST % (run.activity_id, entity_id, entity_plan.used_tail))
        if entity_plan.members is not None:
            self._members(entity_plan.members, entity_id, scope, plan, session, body, progenitors=False)
        return entity_id, scheme

    def _argument_inputs(self, plan: ActivityPlan, scope: CallScope, run: Run, values: dict[str, Any],
                         body: list[str], derivations: list[str], start_time: str) -> None:
        session, activity_id = run.session, run.activity_id
        cfg = self.config
        if not (cfg.log_args or cfg.log_kwargs):
            return
        described = plan.described_arguments
        for name, value in scope.bound().items():
            if name in described:
                continue
            if not (cfg.log_args if scope.given_by_position(name) else cfg.log_kwargs):
                continue
            if type(value) in _SCALARS or not cfg.log_args_as_entities or self.secret(name):
                values[name] = value
                continue
            if is_parameter_value(value):
                values[name] = parameter_value(value)
                continue
            try:
                entity = self.entities.value(value, _PYTHON_OBJECT, f"args.{name}")
                self.check_location(session, entity, derivations, start_time, run.within)
                self.describe(session, entity, body)
            except Exception as exc:
                self._warn_once((plan.function, "argument", name),
                                f"activity {plan.name!r}: argument {name!r}: {type(exc).__name__}: {exc}; not logged")
                continue
            body.append(USED % (activity_id, quote(entity.id), fragment({K.USED_ROLE: name})))

    # Outputs: generation and modified inputs

    def outputs(self, plan: ActivityPlan, scope: CallScope, run: Run, result: Any, records: list[str]) -> None:
        """Log what a call that returned ``result`` generated, and the used entities it changed."""
        session = run.session
        scope.result = result
        generated: set[str] = set()
        for entity_plan in plan.generation:
            if entity_plan.by_value:
                self._generate_value(entity_plan, plan, scope, run, generated, records)
                continue
            entity = self._resolve_entity(entity_plan, scope, plan, "generation")
            if entity is None:
                continue
            if entity.id not in session.described:
                self.describe(session, entity, records)
            records.append(GENERATED % (run.activity_id, quote(entity.id), entity_plan.generated_tail))
            self.track(entity, run.within)
            if entity.track is not None and (entity_plan.embed or self.config.embed_products):
                run.products.append(entity.track[1])
            generated.add(entity.id)
            if entity_plan.members is not None or entity_plan.progenitors is not None:
                self._lists(entity_plan, entity.id, scope, plan, session, records)
        for entity_plan, used_id, used_value in run.inputs:
            self._modified_input(run, plan, scope, entity_plan, used_id, used_value, generated, records)
        if (
            self.config.log_returned_result
            and result is not None
            and result is not scope.instance
        ):
            collection = _returned_collection(result)
            buffers: dict[int, tuple[Any, bytes]] | None = {} if collection else None
            entity = self.entities.value(result, _PYTHON_OBJECT, _RESULT, buffers=buffers)
            if entity.id not in generated:
                self.describe(session, entity, records)
                records.append(GENERATED % (run.activity_id, quote(entity.id), _RESULT_TAIL))
                self._objects.set(result, entity.id, run.within)
                generated.add(entity.id)
                if collection:
                    self._result_items(run, plan, scope, result, entity.id, generated, records, buffers)

    def _result_items(self, run: Run, plan: ActivityPlan, scope: CallScope, result: Any, collection_id: str,
                      generated: set[str], records: list[str], buffers: dict[int, tuple[Any, bytes]] | None) -> None:
        """Log each item of a returned tuple or list as an entity of its own, generated by the
        activity (role ``result[<index>]``) and a member of the returned collection; the data
        of an array the digest of the collection hashed (kept in ``buffers``) is not hashed again."""
        session, instance = run.session, scope.instance
        for index, item in enumerate(result):
            if item is None or item is instance:
                continue
            role = f"{_RESULT}[{index}]"
            try:
                entity = self.entities.value(item, _PYTHON_OBJECT, role, buffers=buffers)
            except Exception as exc:
                self._warn_once((plan.function, "result", index),
                                f"activity {run.name!r}: {role}: {type(exc).__name__}: {exc}; not logged")
                continue
            self.describe(session, entity, records)
            if entity.id not in generated:
                records.append(GENERATED % (run.activity_id, quote(entity.id), fragment({K.GENERATED_ROLE: role})))
                generated.add(entity.id)
            records.append(dumps(recordmaker.member(collection_id, entity.id, session.id)))
            self._objects.set(item, entity.id, run.within)

    def _value_of(self, entity_plan: EntityPlan, plan: ActivityPlan, scope: CallScope,
                  relation: str) -> tuple[Any, Any, str, str | None] | None:
        """Return ``(value, owner, id, id scheme)`` of a ``by_value`` entity, or None when its
        value is None or cannot be found (warned about once, as a ``relation`` problem)."""
        path = entity_plan.value
        if path is None:
            return None
        try:
            value, owner = scope.resolve(path)
            if value is None:
                return None
            entity_id, scheme = self._digest(value)
        except Exception as exc:
            self._entity_problem(plan, entity_plan, relation, exc)
            return None
        return value, owner, entity_id, scheme

    def _generate_value(self, entity_plan: EntityPlan, plan: ActivityPlan, scope: CallScope, run: Run,
                        generated: set[str], records: list[str]) -> None:
        """Log the generation of a Python value identified by its digest alone (a ``by_value`` plan)."""
        found = self._value_of(entity_plan, plan, scope, "generation")
        if found is None:
            return
        value, owner, entity_id, scheme = found
        session = run.session
        if entity_id not in session.described:
            self.describe(session, self.entities.known(entity_plan, value, owner, entity_id, scheme), records)
        records.append(GENERATED_DIGEST % (run.activity_id, entity_id, entity_plan.generated_tail))
        if owner is not None:
            self._locations.set(owner, entity_plan.key, entity_id)
        self._objects.set(value, entity_id, run.within)
        generated.add(entity_id)
        if entity_plan.members is not None or entity_plan.progenitors is not None:
            self._lists(entity_plan, entity_id, scope, plan, session, records)

    def _lists(self, entity_plan: EntityPlan, entity_id: str, scope: CallScope, plan: ActivityPlan, session: Session,
               records: list[str]) -> None:
        """Log the members and progenitors of a generated entity."""
        if entity_plan.members is not None:
            self._members(entity_plan.members, entity_id, scope, plan, session, records, progenitors=False)
        if entity_plan.progenitors is not None:
            self._members(entity_plan.progenitors, entity_id, scope, plan, session, records, progenitors=True)

    def _modified_input(self, run: Run, plan: ActivityPlan, scope: CallScope, entity_plan: EntityPlan, used_id: str,
                        used_value: Any, generated: set[str], records: list[str]) -> None:
        """Log the entity now at the place a used entity was read from, when it changed during the call."""
        entity: Entity | None
        path = entity_plan.value
        if entity_plan.by_value and path is not None:
            try:
                value, owner = scope.resolve(path)
                if value is None or (value is used_value and type(value) in _IMMUTABLE):
                    return
                entity_id, scheme = self._digest(value)
            except Exception as exc:
                self._warn_once((plan.function, "usage", entity_plan.role or entity_plan.key),
                                f"activity {plan.name!r}: usage {entity_plan.role or entity_plan.key!r}: "
                                f"{type(exc).__name__}: {exc}; not logged")
                return
            if entity_id == used_id or entity_id in generated:
                return
            entity = self.entities.known(entity_plan, value, owner, entity_id, scheme)
        else:
            if entity_plan.kind == OBJECT and path is not None and type(used_value) in _IMMUTABLE:
                try:
                    if scope.resolve(path)[0] is used_value:
                        return
                except Exception:
                    return
            entity = self._resolve_entity(entity_plan, scope, plan, "usage")
            if entity is None or entity.id == used_id or entity.id in generated:
                return
        session = run.session
        self.describe(session, entity, records)
        records.append(GENERATED % (run.activity_id, quote(entity.id), entity_plan.generated_tail))
        records.append(dumps(recordmaker.derivation(entity.id, used_id, session.id, within=run.activity_id)))
        self.track(entity, run.within)
        generated.add(entity.id)

    def _members(self, member_plan: EntityPlan, parent_id: str, scope: CallScope, plan: ActivityPlan,
                 session: Session, records: list[str], progenitors: bool) -> None:
        what = "has_progenitors" if progenitors else "has_members"
        if member_plan.value is None:
            return
        try:
            elements = scope.resolve(member_plan.value)[0]
        except LookupError as exc:
            self._warn_once((plan.function, what, member_plan.value.text), f"activity {plan.name!r}: {what} list: {exc}; not logged")
            return
        if elements is None:
            return
        try:
            items = list(elements)
        except TypeError:
            self._warn_once((plan.function, what, "iter"), f"activity {plan.name!r}: {what} list {member_plan.value.text!r} is not iterable")
            return
        if len(items) > _MAX_MEMBERS:
            self._warn_once((plan.function, what, "size"), f"activity {plan.name!r}: {what} list has {len(items)} elements; the first {_MAX_MEMBERS} are logged")
            items = items[:_MAX_MEMBERS]
        for element in items:
            try:
                member = self.entities.member(member_plan, element)
            except Exception as exc:
                self._warn_once((plan.function, what, "element"), f"activity {plan.name!r}: {what} element: {exc}; skipped")
                continue
            self.describe(session, member, records)
            if progenitors:
                records.append(dumps(recordmaker.derivation(parent_id, member.id, session.id)))
            else:
                records.append(dumps(recordmaker.member(parent_id, member.id, session.id)))

    def _resolve_entity(self, entity_plan: EntityPlan, scope: CallScope, plan: ActivityPlan, what: str) -> Entity | None:
        try:
            return self.entities.resolve(entity_plan, scope)
        except Exception as exc:
            self._entity_problem(plan, entity_plan, what, exc)
            return None

    def _entity_problem(self, plan: ActivityPlan, entity_plan: EntityPlan, what: str, exc: Exception) -> None:
        """Warn (once) that the ``what`` (usage, generation) of ``entity_plan`` is not logged."""
        label = entity_plan.role or entity_plan.key
        problem = str(exc) if isinstance(exc, (LookupError, OSError)) else f"{type(exc).__name__}: {exc}"
        self._warn_once((plan.function, what, label), f"activity {plan.name!r}: {what} {label!r}: {problem}; not logged")

    def _warn_once(self, key: Hashable, message: str) -> None:
        self.problems.warn_once(key, message)

    # Entity bookkeeping

    def describe(self, session: Session, entity: Entity, records: list[str]) -> None:
        """Add the entity record of ``entity`` to ``records`` unless ``session`` described it."""
        if entity.id in session.described:
            return
        records.append(dumps(entity.record(session.id)))
        session.described.add(entity.id)

    def check_location(self, session: Session, entity: Entity, derivations: list[str], time_found: str,
                       within: str | None) -> None:
        """Log a change of a used entity: another id than last logged at its place, or on its
        object (see `_changed`)."""
        last_here = self._locations.swap(entity.track[0], entity.track[1], entity.id) if entity.track is not None else None
        last = self._objects.swap(entity.value, entity.id, within) if entity.value is not None else None
        if (last is not None and last[0] != entity.id) or (last_here is not None and last_here != entity.id):
            self._changed(session, entity, last, last_here, within, derivations, time_found)

    def _changed(self, session: Session, entity: Entity, last: tuple[str, str | None] | None, last_here: str | None,
                 within: str | None, derivations: list[str], time_found: str) -> None:
        """Log ``entity`` as derived from what its object was (``last``: id and the activity it
        was logged inside) and from what was at its place (``last_here``).

        A change of an object logged earlier inside the same running activity happened in that
        activity (``in_activity``); any other change happened outside traced calls (``untraced``).
        """
        self.describe(session, entity, derivations)
        if last is not None and last[0] != entity.id:
            if within is not None and last[1] == within:
                derivations.append(dumps(recordmaker.derivation(entity.id, last[0], session.id, within=within)))
            else:
                derivations.append(dumps(recordmaker.derivation(entity.id, last[0], session.id, untraced_at=time_found)))
        if last_here is not None and last_here != entity.id and (last is None or last_here != last[0]):
            derivations.append(dumps(recordmaker.derivation(entity.id, last_here, session.id, untraced_at=time_found)))

    def track(self, entity: Entity, within: str | None) -> None:
        """Remember ``entity`` as the one now at its place and on its object."""
        if entity.track is not None:
            self._locations.set(entity.track[0], entity.track[1], entity.id)
        if entity.value is not None:
            self._objects.set(entity.value, entity.id, within)


def _returned_collection(result: Any) -> bool:
    """Return True for a returned tuple or list of a few items whose items are entities of their
    own (``X, y = make_data()``): at most `_RESULT_ITEMS`, not all of them parameter-like
    values, and none of them the collection itself."""
    cls = type(result)
    if not (cls is tuple or cls is list) or not 0 < len(result) <= _RESULT_ITEMS:
        return False
    return not all(is_parameter_value(item) for item in result) and not any(item is result for item in result)
