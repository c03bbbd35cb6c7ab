"""The state a record stream keeps between records."""

from logprov.model.streamstate import StreamCaches


def test_clear_empties_every_cache():
    caches = StreamCaches()
    memos = [name for name in dir(caches) if isinstance(getattr(caches, name), dict)]
    assert len(memos) >= 10
    for number, name in enumerate(memos):
        getattr(caches, name)[("key", number)] = number
    caches.store_reference("entity", "session", ("name", 1, "term"), True)
    caches.clear()
    assert [name for name in memos if getattr(caches, name)] == []
    assert caches._referenced == 0
