-- logprov store, schema version 4: what could not be read of each source, so that answers
-- made from it warn as a read of the log does: how many lines were skipped (src_skipped), the
-- first of them with their line numbers and reasons (source_problem: as many as the reader
-- warns about), and the number of lines up to src_offset (src_lines: what follows, a last
-- line without its end, is read from the log when needed). Sources loaded before have none
-- recorded.

ALTER TABLE source ADD COLUMN src_skipped BIGINT NOT NULL DEFAULT 0;
ALTER TABLE source ADD COLUMN src_lines BIGINT;

CREATE TABLE IF NOT EXISTS source_problem (
    sp_src_key TEXT COLLATE "C" NOT NULL,
    sp_line BIGINT NOT NULL,
    sp_reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS source_problem_source ON source_problem (sp_src_key, sp_line);
