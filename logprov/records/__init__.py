"""The log contract: the keys and kinds of provenance records, and how a record is one line.

``keys``
    Every record key, as a constant.
``kinds``
    The kinds of records and how to tell them (`kinds.kind_of`, `kinds.shape_of`).
``lines``
    A record as a ``_PROV_<time>_PROV_<JSON>`` line: encoding, marker escaping, decoding.
``templates``
    The texts of the most frequent records, filled in on the path of a traced call.
``fields``
    What each known key may hold: records whose keys hold anything else are damaged.
``legacy``
    Records in the current shape, those of logprov 0.0.2 included.

Writers and readers import record keys and the ``_PROV_`` marker from here rather than
spelling them.
"""
