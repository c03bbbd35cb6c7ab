"""The keys of provenance records, each spelled once.

A record is a flat JSON object. Its keys say what it is about (the ``*_ID`` keys), and the
others carry the facts. The names of the constants follow the keys; the groups at the end are
the sets the reader and the PROV mapping need.
"""

from __future__ import annotations

from typing import Final

# Identifiers: what a record is about and what it belongs to.
SESSION_ID: Final = "session_id"
IN_SESSION: Final = "in_session"
ACTIVITY_ID: Final = "activity_id"
PARENT_ACTIVITY_ID: Final = "parent_activity_id"
IN_ACTIVITY: Final = "in_activity"
ENTITY_ID: Final = "entity_id"
USED_ID: Final = "used_id"
GENERATED_ID: Final = "generated_id"
MEMBER_ID: Final = "member_id"
PROGENITOR_ID: Final = "progenitor_id"
NOTE_ID: Final = "note_id"

# Sessions: the process, the machine and the code.
NAME: Final = "name"
MODULE: Final = "module"
CLASS: Final = "class"
AGENT_NAME: Final = "agent_name"
LOGPROV_VERSION: Final = "logprov_version"
HASH_TYPE: Final = "hash_type"
SYSTEM: Final = "system"
PACKAGES: Final = "packages"
GIT: Final = "git"
DEFINITIONS: Final = "definitions"
CONFIG: Final = "config"
JOB: Final = "job"
CONTAINER: Final = "container"
CODE: Final = "code"

# Activities: when, what, how it ended.
START_TIME: Final = "startTime"
END_TIME: Final = "endTime"
FUNCTION: Final = "function"
PARAMETERS: Final = "parameters"
STATUS: Final = "status"
DURATION: Final = "duration"
EXCEPTION_TYPE: Final = "exception_type"
EXCEPTION_MESSAGE: Final = "exception_message"
EXIT_CODE: Final = "exit_code"

# Usage and generation.
USED_ROLE: Final = "used_role"
GENERATED_ROLE: Final = "generated_role"
GENERATED_TIME: Final = "generated_time"

# Entities: how they are identified and described.
ENTITY_DESCRIPTION: Final = "entity_description"
TYPE: Final = "type"
LOCATION: Final = "location"
VALUE: Final = "value"
HASH: Final = "hash"
CONTENT_TYPE: Final = "contentType"
DESCRIPTION: Final = "description"
SIZE: Final = "size"
ID_SCHEME: Final = "id_scheme"
DIGEST: Final = "digest"
UNTRACED: Final = "untraced"
MODIFIER: Final = "modifier"
IDENTIFIED_BY: Final = "identified_by"
PRODUCT_ID: Final = "product_id"
REFERENCE_META: Final = "reference_meta"

# Notes.
NOTE: Final = "note"
TIME: Final = "time"
ABOUT_ACTIVITY: Final = "about_activity"
ATTRIBUTES: Final = "attributes"

#: Keys holding identifiers (UUIDs or names) of sessions, activities and entities.
ID_KEYS: Final = (
    SESSION_ID, IN_SESSION, ACTIVITY_ID, PARENT_ACTIVITY_ID, IN_ACTIVITY, ENTITY_ID, USED_ID,
    GENERATED_ID, MEMBER_ID, PROGENITOR_ID, NOTE_ID, ABOUT_ACTIVITY,
)

#: Every key a record written by logprov may have.
KNOWN_KEYS: Final = frozenset(
    ID_KEYS
    + (
        NAME, MODULE, CLASS, AGENT_NAME, LOGPROV_VERSION, HASH_TYPE, SYSTEM, PACKAGES, GIT,
        DEFINITIONS, CONFIG, JOB, CONTAINER, CODE, START_TIME, END_TIME, FUNCTION, PARAMETERS, STATUS,
        DURATION, EXCEPTION_TYPE, EXCEPTION_MESSAGE, EXIT_CODE, USED_ROLE, GENERATED_ROLE,
        GENERATED_TIME, ENTITY_DESCRIPTION, TYPE, LOCATION, VALUE, HASH, CONTENT_TYPE, DESCRIPTION,
        SIZE, ID_SCHEME, DIGEST, UNTRACED, MODIFIER, IDENTIFIED_BY, PRODUCT_ID, REFERENCE_META,
        NOTE, TIME, ATTRIBUTES,
    )
)
