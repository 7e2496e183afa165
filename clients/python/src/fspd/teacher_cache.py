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
samples go first.
"""
from __future__ import annotations

import threading
import warnings
from collections import OrderedDict
from typing import Dict, Hashable, List, Optional, Sequence, Tuple

import torch

__all__ = ["TeacherMatrixCache"]

Entry = Tuple[torch.Tensor, ...]  # one [C1, C2] matrix per pair, on the CPU


class TeacherMatrixCache:
    """Teacher FSP matrices per sample, bounded by ``max_bytes`` of matrix data, least recently used out first.

    Keys: a *head* (model id, pairs, pooling, matrices dtype: everything of a request that shapes the
    matrices besides the sample) and the sample id. Safe to use from several threads (FSPLoss's prefetch).
    """

    def __init__(self, max_bytes: int):
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
            raise ValueError(f"max_bytes: expected an integer >= 0, got {max_bytes!r}")
        self.max_bytes = max_bytes
        self._entries: "OrderedDict[Tuple[int, str], Entry]" = OrderedDict()  # least recently used first
        self._heads: Dict[Hashable, int] = {}  # head → small int, so that keys hash cheaply
        self._models: Dict[int, str] = {}  # head number → its model id
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
        return len(self._entries)

    def stats(self) -> dict:
        """Entries, bytes and the bound; samples served (hits) and not (misses); entries evicted for room;
        flushes (a model's entries dropped because the server reported another fingerprint)."""
        return {"entries": len(self._entries), "bytes": self._bytes, "max_bytes": self.max_bytes, "hits": self.hits,
                "misses": self.misses, "evictions": self.evictions, "flushes": self.flushes}

    def fingerprint(self, model_id: str) -> Optional[str]:
        """The teacher fingerprint the model's entries came from (None before the first answer)."""
        return self._fingerprints.get(model_id)

    def lookup(self, model_id: str, head: Hashable, sample_ids: Sequence[str]) -> Tuple[List[Optional[Entry]], Optional[str]]:
        """Each sample's matrices or None, counting hits and misses and making the hits the most recently
        used; and the fingerprint the entries came from."""
        with self._lock:
            h = self._head(model_id, head)
            out: List[Optional[Entry]] = []
            for sid in sample_ids:
                key = (h, sid)
                entry = self._entries.get(key)
                if entry is not None:
                    self._entries.move_to_end(key)
                out.append(entry)
            found = sum(e is not None for e in out)
            self.hits += found
            self.misses += len(out) - found
            return out, self._fingerprints.get(model_id)

    def store(self, model_id: str, head: Hashable, fingerprint: str, sample_ids: Sequence[str], matrices: Sequence[torch.Tensor]) -> bool:
        """Keeps each sample's row of ``matrices`` ([B, C1, C2] per pair, B = len(sample_ids)), first dropping
        the model's entries when ``fingerprint`` differs from theirs. Returns False, storing nothing, when
        the answer carries no fingerprint (a server older than the field: nothing could tell a changed
        teacher, so nothing is kept)."""
        if not fingerprint:
            if not self._warned:
                self._warned = True
                warnings.warn("fspd: the server's TeacherFsp answers carry no model_fingerprint (a server older than this "
                              "client); the client-side teacher cache keeps nothing", RuntimeWarning, stacklevel=3)
            return False
        rows = [tuple(m[i].detach().to("cpu").clone() for m in matrices) for i in range(len(sample_ids))]
        with self._lock:
            if self._fingerprints.get(model_id, fingerprint) != fingerprint:
                self._drop_model(model_id)
                self.flushes += 1
            self._fingerprints[model_id] = fingerprint
            h = self._head(model_id, head)
            for sid, row in zip(sample_ids, rows):
                self._put((h, str(sid)), row)
        return True

    def clear(self) -> None:
        """Drops every entry and every fingerprint (counters stay)."""
        with self._lock:
            self._entries.clear()
            self._fingerprints.clear()
            self._bytes = 0

    def resize(self, max_bytes: int) -> None:
        """A new bound; least recently used entries go until the rest fits."""
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
            raise ValueError(f"max_bytes: expected an integer >= 0, got {max_bytes!r}")
        with self._lock:
            self.max_bytes = max_bytes
            self._evict_to(max_bytes)

    # -- under the lock --------------------------------------------------------------------------------------

    def _head(self, model_id: str, head: Hashable) -> int:
        h = self._heads.get(head)
        if h is None:
            h = self._heads[head] = len(self._heads)
            self._models[h] = model_id
        return h

    def _put(self, key: Tuple[int, str], row: Entry) -> None:
        size = _size(row)
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= _size(old)
        if size > self.max_bytes:
            return
        self._evict_to(self.max_bytes - size)
        self._entries[key] = row
        self._bytes += size

    def _evict_to(self, limit: int) -> None:
        while self._bytes > limit and self._entries:
            _, row = self._entries.popitem(last=False)
            self._bytes -= _size(row)
            self.evictions += 1

    def _drop_model(self, model_id: str) -> None:
        heads = {h for h, m in self._models.items() if m == model_id}
        for key in [k for k in self._entries if k[0] in heads]:
            self._bytes -= _size(self._entries.pop(key))


def _size(row: Entry) -> int:
    return sum(t.nelement() * t.element_size() for t in row)
