"""A client-side cache of a server teacher's FSP matrices, per sample (``fspd.torch.FSPLoss(client_cache_bytes=...)``).

During distillation's first stage the teacher is frozen, so a sample's FSP matrices never change: a student
that sees each sample many times (epochs) can keep them and skip TeacherFsp for samples it has seen. The
server caches them too (and needs only the ids), but a call still costs a round trip and the matrices' bytes;
a step whose samples are all in this cache makes no call at all.

What it assumes: a sample id always means the same input (include the augmentation in the id, as for the
server's cache), and the teacher stays as it is between the calls that would notice a change. Each
TeacherFsp answer names the teacher's content fingerprint (``model_fingerprint``: a digest of its
architecture, taps, pairs and weights); an answer with another fingerprint than the one the cached entries
of that model came from drops them. A step served wholly from here asks the server nothing, so a teacher
changed on the server (trained, or deleted and uploaded again under its id) is noticed at the next step that
misses a sample: :meth:`clear` when you change the teacher yourself.

Memory: the bound counts the matrices' bytes, Σ over pairs C1·C2·(4 for float32, 2 for float16 / bfloat16)
per sample, held in host memory (~100 bytes of bookkeeping per entry not counted); least recently used
samples go first. A head's matrices lie in one tensor per pair, a sample's at one row of each, so that a
batch is assembled by one ``index_select`` per pair (0.5–0.85× the time of stacking separate matrices at
128–1024 samples). The tensors grow by doubling up to the bound's worth of samples, shrink to the entries held
when the bound is lowered, and go with the head's last entry: a head in use can take up to the bound's bytes.
"""
from __future__ import annotations

import threading
import warnings
from collections import OrderedDict
from typing import Dict, Hashable, List, Optional, Sequence, Tuple

import torch

__all__ = ["TeacherMatrixCache"]


class _HeadStore:
    """One head's matrices: per pair a [capacity, C1, C2] tensor; a sample's matrices at one row (its slot)."""

    def __init__(self, like: Sequence[torch.Tensor], sample_bytes: int, max_slots: int):
        self.dims = tuple((tuple(m.shape[1:]), m.dtype) for m in like)
        self.sample_bytes = sample_bytes
        self.max_slots = max_slots
        self.slabs = [torch.empty((0, *shape), dtype=dtype) for shape, dtype in self.dims]
        self.slot: Dict[str, int] = {}  # sample id → row
        self.free: List[int] = []

    def fits(self, matrices: Sequence[torch.Tensor]) -> bool:
        return len(matrices) == len(self.dims) and all(
            (tuple(m.shape[1:]), m.dtype) == d for m, d in zip(matrices, self.dims))

    def put(self, sample_ids: Sequence[str], matrices: Sequence[torch.Tensor]) -> None:
        """Rows for samples not held here (the cache removes older ones first), every pair's written in one
        indexed copy."""
        short = len(sample_ids) - len(self.free)
        if short > 0:
            self._grow(self.slabs[0].shape[0] + short)
        slots = [self.free.pop() for _ in sample_ids]
        self.slot.update(zip(sample_ids, slots))
        rows = torch.tensor(slots, dtype=torch.long)
        for slab, m in zip(self.slabs, matrices):
            slab[rows] = m.detach().to("cpu")

    def release(self, sample_id: str) -> None:
        self.free.append(self.slot.pop(sample_id))

    def gather(self, slots: Sequence[int]) -> List[torch.Tensor]:
        rows = torch.tensor(slots, dtype=torch.long)
        return [torch.index_select(slab, 0, rows) for slab in self.slabs]

    def set_max_slots(self, max_slots: int) -> None:
        """A new limit; rows beyond it are given back by moving the held samples to the first rows."""
        self.max_slots = max_slots
        if self.slabs[0].shape[0] <= max_slots:
            return
        held = list(self.slot.items())
        rows = torch.tensor([slot for _, slot in held], dtype=torch.long)
        self.slabs = [torch.index_select(slab, 0, rows) for slab in self.slabs]
        self.slot = {sid: i for i, (sid, _) in enumerate(held)}
        self.free = []

    def _grow(self, need: int) -> None:
        old = self.slabs[0].shape[0]
        capacity = max(need, min(2 * old, self.max_slots))
        grown = []
        for slab in self.slabs:
            bigger = torch.empty((capacity, *slab.shape[1:]), dtype=slab.dtype)
            bigger[:old] = slab
            grown.append(bigger)
        self.slabs = grown
        self.free.extend(range(capacity - 1, old - 1, -1))  # popped from the end: lowest rows first


class TeacherMatrixCache:
    """Teacher FSP matrices per sample, bounded by ``max_bytes`` of matrix data, least recently used out first.

    Keys: a *head* (model id, pairs, pooling, matrices dtype: everything of a request that shapes the
    matrices besides the sample) and the sample id. Safe to use from several threads (FSPLoss's prefetch).
    """

    def __init__(self, max_bytes: int):
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
            raise ValueError(f"max_bytes: expected an integer >= 0, got {max_bytes!r}")
        self.max_bytes = max_bytes
        self._order: "OrderedDict[Tuple[int, str], None]" = OrderedDict()  # (head number, sample id), least recently used first
        self._heads: Dict[Hashable, int] = {}  # head → small int, so that keys hash cheaply
        self._models: Dict[int, str] = {}  # head number → its model id
        self._stores: Dict[int, _HeadStore] = {}  # head number → its matrices (while it holds any)
        self._fingerprints: Dict[str, str] = {}  # model id → the fingerprint its entries came from
        self._bytes = 0
        self._lock = threading.Lock()
        self._warned = False
        self.hits = self.misses = self.evictions = self.flushes = 0

    @property
    def bytes(self) -> int:
        """Bytes of matrix data held."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._order)

    def stats(self) -> dict:
        """Entries, bytes and the bound; samples served (hits) and not (misses); entries evicted for room;
        flushes (a model's entries dropped because the server reported another fingerprint)."""
        return {"entries": len(self._order), "bytes": self._bytes, "max_bytes": self.max_bytes, "hits": self.hits,
                "misses": self.misses, "evictions": self.evictions, "flushes": self.flushes}

    def fingerprint(self, model_id: str) -> Optional[str]:
        """The teacher fingerprint the model's entries came from (None before the first answer)."""
        return self._fingerprints.get(model_id)

    def gather(self, model_id: str, head: Hashable, sample_ids: Sequence[str]) -> Tuple[List[int], Optional[List[torch.Tensor]], Optional[str]]:
        """The batch positions of the samples held, their matrices ([held, C1, C2] per pair, new tensors in
        batch order; None when none is held), and the fingerprint they came from. Counts hits and misses and
        makes the hits the most recently used."""
        sample_ids = [str(sid) for sid in sample_ids]  # as store() keys them
        with self._lock:
            h = self._head(model_id, head)
            store = self._stores.get(h)
            held: List[int] = []
            slots: List[int] = []
            if store is not None:
                for i, sid in enumerate(sample_ids):
                    slot = store.slot.get(sid)
                    if slot is not None:
                        self._order.move_to_end((h, sid))
                        held.append(i)
                        slots.append(slot)
            self.hits += len(held)
            self.misses += len(sample_ids) - len(held)
            matrices = store.gather(slots) if held else None  # type: ignore[union-attr]
            return held, matrices, self._fingerprints.get(model_id)

    def store(self, model_id: str, head: Hashable, fingerprint: str, sample_ids: Sequence[str], matrices: Sequence[torch.Tensor]) -> bool:
        """Keeps each sample's row of ``matrices`` ([B, C1, C2] per pair, B = len(sample_ids)), first dropping
        the model's entries when ``fingerprint`` differs from theirs. Returns False, storing nothing, when
        the answer carries no fingerprint (a server older than the field: nothing could tell a changed
        teacher, so nothing is kept). ValueError, changing nothing, when a matrix has not one row per id."""
        if not fingerprint:
            if not self._warned:
                self._warned = True
                warnings.warn("fspd: the server's TeacherFsp answers carry no model_fingerprint (a server older than this "
                              "client); the client-side teacher cache keeps nothing", RuntimeWarning, stacklevel=3)
            return False
        sample_ids = [str(sid) for sid in sample_ids]
        for p, m in enumerate(matrices):  # checked before anything changes: a failed store leaves the cache as it was
            if m.dim() == 0 or m.shape[0] != len(sample_ids):
                raise ValueError(f"matrices[{p}]: shape {list(m.shape)}, expected {len(sample_ids)} rows (one per sample id)")
        if len(set(sample_ids)) != len(sample_ids):  # a repeated id: its last row is the one kept
            last = {sid: i for i, sid in enumerate(sample_ids)}
            index = torch.tensor(sorted(last.values()), dtype=torch.long)
            sample_ids = [sample_ids[i] for i in index.tolist()]
            matrices = [m[index] for m in matrices]
        sample_bytes = sum(m[0].nelement() * m.element_size() for m in matrices) if sample_ids else 0
        if sample_ids and not sample_bytes:
            raise ValueError(f"matrices: no matrix bytes for {len(sample_ids)} sample ids")
        with self._lock:
            if self._fingerprints.get(model_id, fingerprint) != fingerprint:
                self._drop_model(model_id)
                self.flushes += 1
            self._fingerprints[model_id] = fingerprint
            if not sample_ids:
                return True
            h = self._head(model_id, head)
            for sid in sample_ids:  # the batch's older matrices go, whether its new rows are kept or not
                self._remove((h, sid))
            # The batch's last samples are the most recently used; when the batch alone exceeds the bound,
            # only the rows that fit are kept (none when not one sample fits).
            keep = min(len(sample_ids), self.max_bytes // sample_bytes)
            if keep == 0:
                return True
            if keep < len(sample_ids):
                sample_ids, matrices = sample_ids[-keep:], [m[-keep:] for m in matrices]
            self._evict_to(self.max_bytes - keep * sample_bytes)
            store = self._stores.get(h)
            if store is not None and not store.fits(matrices):  # the head's matrices changed shape: start again
                self._drop_heads({h})
                store = None
            if store is None:
                store = self._stores[h] = _HeadStore(matrices, sample_bytes, max(1, self.max_bytes // sample_bytes))
            store.put(sample_ids, matrices)
            for sid in sample_ids:
                self._order[(h, sid)] = None
            self._bytes += keep * sample_bytes
        return True

    def clear(self) -> None:
        """Drops every entry and every fingerprint (counters stay)."""
        with self._lock:
            self._order.clear()
            self._stores.clear()
            self._fingerprints.clear()
            self._bytes = 0

    def resize(self, max_bytes: int) -> None:
        """A new bound; least recently used entries go until the rest fits."""
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
            raise ValueError(f"max_bytes: expected an integer >= 0, got {max_bytes!r}")
        with self._lock:
            self.max_bytes = max_bytes
            self._evict_to(max_bytes)
            for store in self._stores.values():
                store.set_max_slots(max(1, max_bytes // store.sample_bytes))

    # -- under the lock --------------------------------------------------------------------------------------

    def _head(self, model_id: str, head: Hashable) -> int:
        h = self._heads.get(head)
        if h is None:
            h = self._heads[head] = len(self._heads)
            self._models[h] = model_id
        return h

    def _remove(self, key: Tuple[int, str]) -> bool:
        """Drops one entry if held (its head's storage too when it was the last)."""
        if key not in self._order:
            return False
        del self._order[key]
        store = self._stores[key[0]]
        store.release(key[1])
        self._bytes -= store.sample_bytes
        if not store.slot:
            del self._stores[key[0]]
        return True

    def _evict_to(self, limit: int) -> None:
        while self._bytes > limit and self._order:
            self._remove(next(iter(self._order)))
            self.evictions += 1

    def _drop_heads(self, heads: set) -> None:
        for key in [k for k in self._order if k[0] in heads]:
            self._remove(key)

    def _drop_model(self, model_id: str) -> None:
        self._drop_heads({h for h, m in self._models.items() if m == model_id})
