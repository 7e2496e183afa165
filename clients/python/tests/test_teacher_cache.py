"""fspd.torch's client-side teacher cache (FSPLoss(client_cache_bytes=...), TeacherMatrixCache): the same
matrices and loss as uncached calls, no call for a batch it holds, only the missing samples asked for, the
byte bound (least recently used out first), a teacher re-made under its id noticed through the answer's
model_fingerprint, and the clear / resize / off API. Against a real `fspd serve`."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed (pip install 'fspd[torch]')")

import fspd  # noqa: E402
import fspd.torch as ft  # noqa: E402
from conftest import call_or_xfail  # noqa: E402
from teacher_fsp_recorder import TeacherFspRecorder  # noqa: E402

pytestmark = pytest.mark.torch

# ResNet-8 on 8×8×3 images: pairs [16,16], [16,32], [32,64] per sample.
SAMPLE_BYTES_F32 = (16 * 16 + 16 * 32 + 32 * 64) * 4


@pytest.fixture(scope="module")
def teacher(client: fspd.Client):
    model = call_or_xfail(client.create_resnet, 8, input_shape=[8, 8, 3], seed=21, model_id="client-cache-teacher")
    yield model
    client.delete_model(model.model_id)


@pytest.fixture()
def recorded(server: str):
    rec = TeacherFspRecorder()
    with fspd.Client(server, timeout=120, interceptors=[rec.interceptor]) as c:
        yield c, rec


def _student(teacher, batch, seed):
    gen = torch.Generator().manual_seed(seed)
    taps = [tuple(t.shape) for t in teacher.taps]
    out = []
    for p in teacher.pairs:
        (h1, w1, c1), (h2, w2, c2) = taps[p.first], taps[p.second]
        out.append((torch.randn(batch, c1, h1, w1, generator=gen, requires_grad=True), torch.randn(batch, c2, h2, w2, generator=gen, requires_grad=True)))
    return out


def _images(n, seed):
    return torch.randn(n, 3, 8, 8, generator=torch.Generator().manual_seed(seed))


def _loss_and_grads(loss_fn, student, **kw):
    for a, b in student:
        a.grad = b.grad = None
    loss = loss_fn(student, **kw)
    loss.backward()
    return loss.item(), [m.grad.clone() for pair in student for m in pair]


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_cached_values_equal_uncached_and_a_held_batch_makes_no_call(recorded, teacher, dtype: str):
    c, rec = recorded
    images, ids = _images(6, 1), [f"eq-{dtype}-{i}" for i in range(6)]
    student = _student(teacher, 6, 2)
    plain = ft.FSPLoss(c, teacher_model_id=teacher.model_id, matrices_dtype=dtype)
    cached = ft.FSPLoss(c, teacher_model_id=teacher.model_id, matrices_dtype=dtype, client_cache_bytes=1 << 20)
    want_loss, want_grads = _loss_and_grads(plain, student, images=images, sample_ids=ids)
    rec.ids()

    first = _loss_and_grads(cached, student, images=images, sample_ids=ids)  # fetched (the server has them), kept here
    assert rec.ids() == [(ids, False)] and cached.client_cache_hits == 0 and cached.cache_hits == 6
    second = _loss_and_grads(cached, student, images=images, sample_ids=ids)  # all here: no call
    assert rec.ids() == [] and cached.client_cache_hits == 6 and cached.cache_hits == 0
    for loss, grads in (first, second):
        assert loss == want_loss
        for g, w in zip(grads, want_grads):
            assert torch.equal(g, w)

    # The matrices themselves, in the wire dtype, from fetch_teacher_matrices with the same cache: bit for bit.
    ref = ft.TeacherRef(teacher.model_id, None, ids)
    uncached, _ = ft.fetch_teacher_matrices(c, ref, matrices_dtype=dtype)
    rec.ids()
    held, server_hits = ft.fetch_teacher_matrices(c, ref, matrices_dtype=dtype, cache=cached.client_cache)
    assert rec.ids() == [] and server_hits == 0
    for m, u in zip(held, uncached):
        assert m.dtype == u.dtype == (torch.float32 if dtype == "float32" else torch.bfloat16)
        assert torch.equal(m, u)
    stats = cached.client_cache.stats()
    assert stats["entries"] == 6 and stats["bytes"] == 6 * SAMPLE_BYTES_F32 // (1 if dtype == "float32" else 2)


def test_a_partly_held_batch_asks_only_for_the_rest(recorded, teacher):
    c, rec = recorded
    images, ids = _images(5, 3), [f"part-{i}" for i in range(5)]
    student = _student(teacher, 5, 4)
    cached = ft.FSPLoss(c, teacher_model_id=teacher.model_id, client_cache_bytes=1 << 20)
    cached(_student(teacher, 2, 5), images=images[[1, 3]], sample_ids=[ids[1], ids[3]])  # two samples held
    rec.ids()

    got = _loss_and_grads(cached, student, images=images, sample_ids=ids)
    sent = rec.ids()
    # ids 0, 2, 4 only: alone first (the server lacks them), then with their three images
    assert sent == [([ids[0], ids[2], ids[4]], False), ([ids[0], ids[2], ids[4]], True)]
    assert cached.client_cache_hits == 2 and cached.cache_hits == 0
    want = _loss_and_grads(ft.FSPLoss(c, teacher_model_id=teacher.model_id), student, images=images, sample_ids=ids)
    assert got[0] == want[0]
    for g, w in zip(got[1], want[1]):
        assert torch.equal(g, w)


def test_the_byte_bound_holds_least_recently_used_out_first(recorded, teacher):
    c, rec = recorded
    images, ids = _images(4, 6), [f"lru-{i}" for i in range(4)]
    loss_fn = ft.FSPLoss(c, teacher_model_id=teacher.model_id, client_cache_bytes=3 * SAMPLE_BYTES_F32)
    step = lambda idx: loss_fn(_student(teacher, len(idx), 7), images=images[idx], sample_ids=[ids[i] for i in idx])  # noqa: E731
    cache = loss_fn.client_cache

    step([0, 1, 2])
    assert cache.bytes == 3 * SAMPLE_BYTES_F32 and len(cache) == 3
    step([0])  # a hit: 0 becomes the most recently used, 1 the least
    rec.ids()
    step([3])  # a fourth sample: one must go, and it is 1
    assert cache.bytes <= cache.max_bytes and len(cache) == 3 and cache.stats()["evictions"] == 1
    rec.ids()
    step([0, 2, 3])
    assert rec.ids() == [] and loss_fn.client_cache_hits == 3, "0, 2, 3 still held"
    step([1])
    assert rec.ids() == [([ids[1]], False)], "1 was evicted"

    loss_fn.set_client_cache_bytes(SAMPLE_BYTES_F32 + 1)  # a smaller bound: all but the most recently used go
    assert len(cache) == 1 and cache.bytes == SAMPLE_BYTES_F32
    step([1])
    assert rec.ids() == [] and loss_fn.client_cache_hits == 1
    loss_fn.set_client_cache_bytes(SAMPLE_BYTES_F32 - 1)  # smaller than one sample: nothing is kept
    assert len(cache) == 0 and cache.bytes == 0
    step([1])
    step([1])
    assert len(rec.ids()) == 2 and len(cache) == 0


def test_a_teacher_made_again_under_its_id_is_seen_at_the_next_miss(recorded, client):
    c, rec = recorded
    model_id = "client-cache-remade"
    first = client.create_resnet(8, input_shape=[8, 8, 3], seed=31, model_id=model_id)
    try:
        images, ids = _images(4, 8), [f"remade-{i}" for i in range(4)]
        student = _student(first, 3, 9)
        loss_fn = ft.FSPLoss(c, teacher_model_id=model_id, client_cache_bytes=1 << 20)
        old = _loss_and_grads(loss_fn, student, images=images[:3], sample_ids=ids[:3])
        fingerprint = loss_fn.client_cache.fingerprint(model_id)
        assert fingerprint and fingerprint.startswith("sha256:")
        assert client.teacher_fsp(model_id, sample_ids=ids[:3]).model_fingerprint == fingerprint

        client.delete_model(model_id)
        client.create_resnet(8, input_shape=[8, 8, 3], seed=32, model_id=model_id)  # other weights, same id
        want = _loss_and_grads(ft.FSPLoss(c, teacher_model_id=model_id), student, images=images[:3], sample_ids=ids[:3])
        assert want[0] != old[0]
        rec.ids()

        # A batch wholly held makes no call, so it still gets the old teacher's matrices (what the cache assumes).
        assert _loss_and_grads(loss_fn, student, images=images[:3], sample_ids=ids[:3])[0] == old[0]
        assert rec.ids() == []
        # The next batch with a sample not held calls, sees another fingerprint, drops the held matrices and
        # asks again for the whole batch (ids alone: the server holds the new teacher's matrices of all four).
        got = loss_fn(_student(first, 4, 10), images=images, sample_ids=ids)
        assert rec.ids() == [([ids[3]], False), ([ids[3]], True), (ids, False)]
        assert loss_fn.client_cache.stats()["flushes"] == 1
        assert loss_fn.client_cache.fingerprint(model_id) not in (None, fingerprint)
        assert loss_fn.client_cache.fingerprint(model_id) == client.teacher_fsp(model_id, sample_ids=ids).model_fingerprint
        assert loss_fn.client_cache_hits == 0 and torch.isfinite(got)
        now = _loss_and_grads(loss_fn, student, images=images[:3], sample_ids=ids[:3])  # held again: the new teacher's
        assert rec.ids() == [] and loss_fn.client_cache_hits == 3
        assert now[0] == want[0]
        for g, w in zip(now[1], want[1]):
            assert torch.equal(g, w)
    finally:
        client.delete_model(model_id)


def test_clear_and_off(recorded, teacher):
    c, rec = recorded
    images, ids = _images(2, 11), ["off-0", "off-1"]
    student = _student(teacher, 2, 12)
    loss_fn = ft.FSPLoss(c, teacher_model_id=teacher.model_id, client_cache_bytes=1 << 20)
    assert "client_cache_bytes=1048576" in repr(loss_fn)
    one_call = [(ids, False)]  # the ids alone, answered from the server's cache
    loss_fn(student, images=images, sample_ids=ids)
    assert rec.ids() == [(ids, False), (ids, True)]  # cold on the server too: refused, then the images
    loss_fn(student, images=images, sample_ids=ids)
    assert rec.ids() == []

    loss_fn.clear_client_cache()
    assert len(loss_fn.client_cache) == 0 and loss_fn.client_cache.fingerprint(teacher.model_id) is None
    loss_fn(student, images=images, sample_ids=ids)
    assert rec.ids() == one_call and loss_fn.client_cache_hits == 0

    loss_fn.set_client_cache_bytes(0)  # off: every batch calls
    assert loss_fn.client_cache is None and "client_cache_bytes" not in repr(loss_fn)
    loss_fn(student, images=images, sample_ids=ids)
    loss_fn(student, images=images, sample_ids=ids)
    assert rec.ids() == one_call * 2 and loss_fn.client_cache_hits == 0
    loss_fn.clear_client_cache()  # off: nothing to clear, no error

    loss_fn.set_client_cache_bytes(1 << 20)  # on again, empty
    loss_fn(student, images=images, sample_ids=ids)
    loss_fn(student, images=images, sample_ids=ids)
    assert rec.ids() == one_call and loss_fn.client_cache_hits == 2

    for bad in (-1, 1.5, True, "1"):
        with pytest.raises(ValueError, match="expected an integer >= 0"):
            loss_fn.set_client_cache_bytes(bad)
        with pytest.raises(ValueError, match="expected an integer >= 0"):
            ft.FSPLoss(c, teacher_model_id=teacher.model_id, client_cache_bytes=bad)


def test_prefetched_matrices_go_through_the_cache(recorded, teacher):
    c, rec = recorded
    images, ids = _images(3, 13), [f"pre-cache-{i}" for i in range(3)]
    student = _student(teacher, 3, 14)
    loss_fn = ft.FSPLoss(c, teacher_model_id=teacher.model_id, client_cache_bytes=1 << 20)
    try:
        loss_fn.prefetch(images, ids)
        first = loss_fn(student, images=None, sample_ids=ids).item()
        assert len(rec.ids()) == 2 and len(loss_fn.client_cache) == 3  # ids alone (refused), then the images
        loss_fn.prefetch(None, ids)
        assert loss_fn(student, images=None, sample_ids=ids).item() == first
        assert rec.ids() == [] and loss_fn.client_cache_hits == 3
    finally:
        loss_fn.close()


def test_no_fingerprint_keeps_nothing():
    """An answer without model_fingerprint (a server older than the field) cannot tell a changed teacher."""
    cache = ft.TeacherMatrixCache(1 << 20)
    m = [torch.ones(2, 3, 4)]
    with pytest.warns(RuntimeWarning, match="no model_fingerprint"):
        assert cache.store("t", ("t", None, "max", "float32"), "", ["a", "b"], m) is False
    assert len(cache) == 0
    assert cache.store("t", ("t", None, "max", "float32"), "sha256:x", ["a", "b"], m) is True
    assert len(cache) == 2 and cache.bytes == 2 * 3 * 4 * 4
    with pytest.raises(ValueError, match="expected an integer >= 0"):
        ft.TeacherMatrixCache(-5)


def test_a_failed_store_changes_nothing():
    """Matrices whose rows do not match the ids are refused before the cache changes: the ids are neither held
    nor half recorded (a later gather of them finds nothing, no KeyError)."""
    cache, head = ft.TeacherMatrixCache(1 << 20), ("t", None, "max", "float32")
    a = [torch.randn(2, 3, 4), torch.randn(2, 4, 4)]
    cache.store("t", head, "sha256:x", ["a", "b"], a)
    with pytest.raises(ValueError, match=r"matrices\[1\]: shape \[3, 4, 4\], expected 2 rows"):
        cache.store("t", head, "sha256:x", ["c", "d"], [torch.randn(2, 3, 4), torch.randn(3, 4, 4)])
    with pytest.raises(ValueError, match=r"matrices\[0\]: shape \[1, 3, 4\], expected 2 rows"):
        cache.store("t", head, "sha256:x", ["a", "c"], [torch.randn(1, 3, 4), torch.randn(2, 4, 4)])
    with pytest.raises(ValueError, match="no matrix bytes for 1 sample ids"):
        cache.store("t", head, "sha256:x", ["a"], [])
    assert len(cache) == 2 and cache.bytes == 2 * (12 + 16) * 4
    assert cache.gather("t", head, ["c", "d"])[:2] == ([], None)
    held, got, _ = cache.gather("t", head, ["b", "c", "a"])
    assert held == [0, 2] and all(torch.equal(g, m[[1, 0]]) for g, m in zip(got, a))


def test_ids_are_keys_as_strings():
    """store() keys the ids as str; gather() looks them up the same way, so int ids are found."""
    cache, head = ft.TeacherMatrixCache(1 << 20), ("t", None, "max", "float32")
    m = [torch.randn(2, 3, 4)]
    cache.store("t", head, "sha256:x", [1, 2], m)
    held, got, _ = cache.gather("t", head, [2, 7, 1])
    assert held == [0, 2] and torch.equal(got[0], m[0][[1, 0]])
    assert cache.gather("t", head, ["1"])[0] == [0]


def test_a_batch_beyond_the_bound_drops_its_own_older_rows_first():
    """Of a batch larger than the bound only the last rows are kept; its other ids' older rows go too, before
    any other entry is evicted for room (here the 8 bytes of another head still fit)."""
    cache = ft.TeacherMatrixCache(100)
    cache.store("t", ("t", "B"), "fp", ["b0"], [torch.zeros(1, 1, 2)])  # 8 bytes, the least recently used
    cache.store("t", ("t", "A"), "fp", ["x"], [torch.zeros(1, 1, 10)])  # 40 bytes
    cache.store("t", ("t", "A"), "fp", ["x", "y", "z"], [torch.ones(3, 1, 10)])  # 120 bytes: y and z kept
    assert cache.bytes == 88 and len(cache) == 3 and cache.stats()["evictions"] == 0
    assert cache.gather("t", ("t", "A"), ["x", "y", "z"])[0] == [1, 2]
    assert cache.gather("t", ("t", "B"), ["b0"])[0] == [0]


class _ReferenceCache:
    """The cache's contract, kept naively: each sample's matrices cloned apart, in an OrderedDict (LRU first)."""

    def __init__(self, max_bytes):
        self.max_bytes, self.entries, self.fingerprints = max_bytes, {}, {}

    def store(self, model_id, head, fingerprint, ids, matrices):
        if self.fingerprints.get(model_id, fingerprint) != fingerprint:
            self.entries = {k: v for k, v in self.entries.items() if k[0][0] != model_id}
        self.fingerprints[model_id] = fingerprint
        last = {sid: i for i, sid in enumerate(ids)}
        order = sorted(last, key=last.get)
        size = sum(m[0].nelement() * m.element_size() for m in matrices)
        keep = order[-(self.max_bytes // size):] if self.max_bytes >= size else []
        for sid in order:
            self.entries.pop((head, sid), None)
        while self._bytes() + len(keep) * size > self.max_bytes:
            del self.entries[next(iter(self.entries))]
        for sid in keep:
            self.entries[(head, sid)] = tuple(m[last[sid]].clone() for m in matrices)

    def gather(self, head, ids):
        held = [i for i, sid in enumerate(ids) if (head, sid) in self.entries]
        for i in held:
            self.entries[(head, ids[i])] = self.entries.pop((head, ids[i]))
        return held, [torch.stack([self.entries[(head, ids[i])][p] for i in held]) for p in range(2)] if held else None

    def resize(self, max_bytes):
        self.max_bytes = max_bytes
        while self._bytes() > max_bytes:
            del self.entries[next(iter(self.entries))]

    def _bytes(self):
        return sum(m.nelement() * m.element_size() for rows in self.entries.values() for m in rows)


@pytest.mark.parametrize("max_bytes, id_count, max_batch", [
    (40 * 80, 60, 11),  # batches within the bound
    (1000, 30, 30),  # batches up to 30 × 128 bytes: larger than the bound, only their last rows kept
])
def test_the_cache_agrees_with_a_naive_one_over_random_use(max_bytes, id_count, max_batch):
    """Stores, lookups and resizes at random over two models and four heads (float32, bfloat16 and float16, one
    head whose shapes change), batches within and beyond the bound: every batch assembled from the shared
    per-head storage equals the naive cache's, and so do the held samples, the byte count and the fingerprint
    flushes."""
    gen = torch.Generator().manual_seed(5)
    heads = {("m1", "f32"): ((3, 4), (4, 5), torch.float32), ("m1", "bf16"): ((3, 4), (4, 5), torch.bfloat16),
             ("m2", "f32"): ((2, 2), (2, 6), torch.float32), ("m2", "f16"): ((1, 2), (1, 2), torch.float16)}
    sample_bytes = {h: sum(a * b for a, b in d[:2]) * d[2].itemsize for h, d in heads.items()}
    cache, ref = ft.TeacherMatrixCache(max_bytes), _ReferenceCache(max_bytes)
    fingerprints = {"m1": "sha256:a", "m2": "sha256:b"}
    for step in range(400):
        head = list(heads)[int(torch.randint(len(heads), (1,), generator=gen))]
        model = head[0]
        ids = [f"s{int(i)}" for i in torch.randint(id_count, (int(torch.randint(1, max_batch + 1, (1,), generator=gen)),), generator=gen)]
        action = int(torch.randint(20, (1,), generator=gen))
        if action < 9:
            (s1, s2, dtype) = heads[head]
            matrices = [torch.randn(len(ids), *s1, generator=gen).to(dtype), torch.randn(len(ids), *s2, generator=gen).to(dtype)]
            if action == 0:  # the server's teacher changed: another fingerprint
                fingerprints[model] += "x"
            if action == 1 and head == ("m2", "f32"):  # the same head with other shapes (a re-made model)
                heads[head] = ((2, 3), (3, 6), torch.float32)
                sample_bytes[head] = (2 * 3 + 3 * 6) * 4
                matrices = [torch.randn(len(ids), 2, 3, generator=gen), torch.randn(len(ids), 3, 6, generator=gen)]
                fingerprints[model] += "y"
            assert cache.store(model, head, fingerprints[model], ids, matrices) is True
            ref.store(model, head, fingerprints[model], ids, matrices)
        elif action < 19:
            held, got, _ = cache.gather(model, head, ids)
            want_held, want = ref.gather(head, ids)
            assert held == want_held, step
            if want is None:
                assert got is None, step
            else:
                for g, w in zip(got, want):
                    assert g.dtype == w.dtype and torch.equal(g, w), step
        else:
            bound = int(torch.randint(0, 3 * max_bytes // 2, (1,), generator=gen))
            cache.resize(bound)
            ref.resize(bound)
        assert cache.bytes == ref._bytes() <= cache.max_bytes and len(cache) == len(ref.entries), step
        # The storage stays within the bound: each head's tensors hold at most the bound's worth of samples.
        storage = sum(slab.nelement() * slab.element_size() for store in cache._stores.values() for slab in store.slabs)
        assert storage <= len(cache._stores) * max(cache.max_bytes, max(sample_bytes.values())), step
