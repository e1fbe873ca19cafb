from channels.ttl_set import TTLSet


def test_ttlset_detects_repeats_and_forgets_after_ttl():
    now = [1000.0]
    seen = TTLSet(maxsize=100, ttl=10, clock=lambda: now[0])
    assert seen.add_if_new("m1")
    assert not seen.add_if_new("m1")
    now[0] += 11
    assert seen.add_if_new("m1")


def test_ttlset_is_bounded():
    seen = TTLSet(maxsize=3, ttl=100)
    for i in range(10):
        seen.add_if_new(str(i))
    assert not seen.add_if_new("9")  # among the newest three: still known
    assert seen.add_if_new("0")  # pushed out long ago: new again
