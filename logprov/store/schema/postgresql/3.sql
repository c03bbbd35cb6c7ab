-- logprov store, schema version 3: the exit code of an activity that was a process (ctapipe
-- provenance), beside its status. Rows loaded before have it empty.

ALTER TABLE activity ADD COLUMN act_exit_code BIGINT;
