"""The log contract: the keys and kinds of provenance records, and how a record is one line.

Every record key is spelled in `logprov.records.keys` and nowhere else; writers, readers and
the PROV mapping import the names from there.
"""
