-- logprov store, schema version 1, SQLite.
-- Tables and columns follow the IVOA ProvTAP working draft where ProvDM covers them
-- (activity, entity, used, wasGeneratedBy, wasDerivedFrom, hadMember, and the views
-- wasAssociatedWith, agent, parameter, activityDescription, entityDescription, wasInformedBy);
-- the other columns and tables are logprov's own. docs/store.md describes every column.

CREATE TABLE IF NOT EXISTS store_meta (
    meta_key TEXT PRIMARY KEY,
    meta_value TEXT
);

CREATE TABLE IF NOT EXISTS source (
    src_key TEXT PRIMARY KEY,
    src_path TEXT, src_host TEXT,
    src_dev INTEGER, src_ino INTEGER, src_size INTEGER, src_mtime INTEGER, src_ctime INTEGER,
    src_offset INTEGER NOT NULL DEFAULT 0, src_digest TEXT, src_legacy INTEGER NOT NULL DEFAULT 0,
    src_records INTEGER NOT NULL DEFAULT 0, src_loaded TEXT
);
CREATE INDEX IF NOT EXISTS source_path ON source (src_path);

CREATE TABLE IF NOT EXISTS session (
    ses_id TEXT PRIMARY KEY,
    ses_moment TEXT, ses_startTime TEXT, ses_endTime TEXT, ses_name TEXT, ses_module TEXT,
    ses_user TEXT, ses_host TEXT, ses_command TEXT, ses_cwd TEXT, ses_pid INTEGER,
    ses_hash_type TEXT, ses_version TEXT, ses_git_commit TEXT, ses_job TEXT, ses_container TEXT,
    ses_job_system TEXT, ses_job_id TEXT, ses_job_array_index TEXT, ses_job_url TEXT,
    ses_container_runtime TEXT, ses_container_image TEXT, ses_container_tag TEXT,
    ses_container_digest TEXT
);
CREATE INDEX IF NOT EXISTS session_job ON session (ses_job_id);

CREATE TABLE IF NOT EXISTS activity (
    act_id TEXT PRIMARY KEY,
    act_name TEXT, act_startTime TEXT, act_endTime TEXT,
    act_session TEXT, act_moment TEXT, act_start_utc TEXT, act_ended INTEGER NOT NULL DEFAULT 0,
    act_status TEXT, act_duration REAL, act_exception_type TEXT, act_exception_message TEXT,
    act_function TEXT, act_agent TEXT, act_parent TEXT, act_parameters TEXT
);
CREATE INDEX IF NOT EXISTS activity_name ON activity (act_name);
CREATE INDEX IF NOT EXISTS activity_start ON activity (act_start_utc);
CREATE INDEX IF NOT EXISTS activity_parent ON activity (act_parent);
CREATE INDEX IF NOT EXISTS activity_session ON activity (act_session);
CREATE INDEX IF NOT EXISTS activity_status ON activity (act_status, act_name);

CREATE TABLE IF NOT EXISTS entity (
    ent_id TEXT PRIMARY KEY,
    ent_logged_id TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entity_logged ON entity (ent_logged_id);

CREATE TABLE IF NOT EXISTS entity_record (
    er_seq INTEGER PRIMARY KEY,
    er_ent_id TEXT NOT NULL, er_session TEXT, er_moment TEXT,
    er_type TEXT, er_location TEXT, er_value TEXT, er_hash TEXT, er_hash_type TEXT,
    er_descr_id TEXT, er_content_type TEXT, er_size INTEGER, er_description TEXT,
    er_first INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS entity_record_entity ON entity_record (er_ent_id, er_first);
CREATE INDEX IF NOT EXISTS entity_record_location ON entity_record (er_location) WHERE er_location IS NOT NULL;

CREATE TABLE IF NOT EXISTS used (
    used_seq INTEGER PRIMARY KEY,
    used_act_id TEXT NOT NULL, used_ent_id TEXT NOT NULL, used_role TEXT
);
CREATE INDEX IF NOT EXISTS used_entity ON used (used_ent_id);
CREATE INDEX IF NOT EXISTS used_activity ON used (used_act_id);

CREATE TABLE IF NOT EXISTS wasGeneratedBy (
    wgb_seq INTEGER PRIMARY KEY,
    wgb_act_id TEXT NOT NULL, wgb_ent_id TEXT NOT NULL, wgb_role TEXT
);
CREATE INDEX IF NOT EXISTS wasGeneratedBy_entity ON wasGeneratedBy (wgb_ent_id);
CREATE INDEX IF NOT EXISTS wasGeneratedBy_activity ON wasGeneratedBy (wgb_act_id);

CREATE TABLE IF NOT EXISTS hadMember (
    hm_seq INTEGER PRIMARY KEY,
    hm_collection_id TEXT NOT NULL, hm_ent_id TEXT NOT NULL, hm_session TEXT, hm_moment TEXT
);
CREATE INDEX IF NOT EXISTS hadMember_collection ON hadMember (hm_collection_id);
CREATE INDEX IF NOT EXISTS hadMember_member ON hadMember (hm_ent_id);

CREATE TABLE IF NOT EXISTS wasDerivedFrom (
    wdf_seq INTEGER PRIMARY KEY,
    wdf_generatedEntity TEXT NOT NULL, wdf_usedEntity TEXT NOT NULL, wdf_untraced INTEGER NOT NULL DEFAULT 0,
    wdf_activity TEXT, wdf_session TEXT, wdf_moment TEXT
);
CREATE INDEX IF NOT EXISTS wasDerivedFrom_generated ON wasDerivedFrom (wdf_generatedEntity);
CREATE INDEX IF NOT EXISTS wasDerivedFrom_used ON wasDerivedFrom (wdf_usedEntity);

CREATE TABLE IF NOT EXISTS note (
    note_id TEXT PRIMARY KEY,
    note_session TEXT, note_act_id TEXT, note_time TEXT, note_text TEXT, note_attributes TEXT
);
CREATE INDEX IF NOT EXISTS note_activity ON note (note_act_id);

CREATE VIEW IF NOT EXISTS wasAssociatedWith AS
    SELECT act_id AS waw_act_id, act_agent AS waw_agent_id, 'user' AS waw_role
    FROM activity WHERE act_agent IS NOT NULL;
CREATE VIEW IF NOT EXISTS agent AS
    SELECT DISTINCT act_agent AS agent_id, act_agent AS agent_name, 'Person' AS agent_type
    FROM activity WHERE act_agent IS NOT NULL;
CREATE VIEW IF NOT EXISTS parameter AS
    SELECT a.act_id || '#' || p.key AS param_id, a.act_id AS param_act_id, p.key AS param_name,
           CASE WHEN p.type IN ('object', 'array') THEN p.value ELSE CAST(p.value AS TEXT) END AS param_value
    FROM activity a, json_each(a.act_parameters) p WHERE a.act_parameters IS NOT NULL;
CREATE VIEW IF NOT EXISTS activityDescription AS
    SELECT DISTINCT act_name AS ad_id, act_name AS ad_name, act_function AS ad_function
    FROM activity WHERE act_name IS NOT NULL;
CREATE VIEW IF NOT EXISTS entityDescription AS
    SELECT DISTINCT er_descr_id AS ed_id, er_descr_id AS ed_name
    FROM entity_record WHERE er_descr_id IS NOT NULL;
CREATE VIEW IF NOT EXISTS wasInformedBy AS
    SELECT act_id AS wib_informed, act_parent AS wib_informant FROM activity WHERE act_parent IS NOT NULL;
