-- logprov store, schema version 2: the entity description columns of the PROV mapping that
-- version 1 left out (how an id was made, the identification of data products, the time an
-- untraced change was found). Rows loaded before have them empty.

ALTER TABLE entity_record ADD COLUMN er_id_scheme TEXT;
ALTER TABLE entity_record ADD COLUMN er_digest TEXT;
ALTER TABLE entity_record ADD COLUMN er_identified_by TEXT;
ALTER TABLE entity_record ADD COLUMN er_product_id TEXT;
ALTER TABLE entity_record ADD COLUMN er_reference_meta TEXT;
ALTER TABLE entity_record ADD COLUMN er_generated_time TEXT;
