#!/usr/bin/env python3
"""bench:clients — a PyTorch student's FSP loss step with an fspd server vs a local PyTorch FSP
forward+backward (teacher matrices already in memory), on bench:fsp's five shapes, NCHW, float32, in one run.

Every column computes the same thing: the student pair's FSP matrices, the paper loss against the teacher's
matrices, and dL/d(both student maps). Modes:
  inline   FspLoss with the maps as bytes in the request, gradients back (fspd.Client.fsp_loss)
  shm      the same through fspd.SharedMemory (maps copied into a region under /dev/shm, gradients out)
  matrices fspd.torch.FSPLoss with a TeacherRef: TeacherFsp sends the teacher's matrices (float32, float16 or
           bfloat16 on the wire) for sample ids the server has cached (warm: the ids alone go up), and
           the loss and its backward run here in torch. Each also prefetched (FSPLoss.prefetch of the next
           step's ids before the step), and in float32 through a SharedMemory region (TeacherFsp's
           matrices_to: the matrices come back through the region, not the socket), plain and prefetched.
  client cache  the same FSPLoss with client_cache_bytes (fspd.torch.TeacherMatrixCache): the batch's matrices
           are held in the client after one warm-up step, so a timed step makes no call (float32 or bfloat16
           held), and the loss and backward run in torch.
The server's teacher is a built-in ResNet-8 (width 1, 32×32×3 inputs: taps stem 32×32×16, section1
32×32×16, section2 16×16×32, section3 8×8×64) with per-shape tap pairs whose matrices have the shape's
[B, C1, C2]. Bytes on the wire per step: serialised request + response messages (a client interceptor,
outside the timed runs). The modes of a shape are timed in interleaved rounds (timed_rounds). Prints a
table, writes bench/results/clients.json.
    python3 bench/clients.py [--quick] [--rounds N] [--torch-threads N]   (starts its own server)
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "clients" / "python" / "src"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import fspd  # noqa: E402
import fspd.torch as ft  # noqa: E402

SHAPES = [  # batch, c1, c2, height, width (bench/fsp.ts)
    (128, 16, 16, 32, 32),
    (128, 32, 32, 16, 16),
    (128, 64, 64, 8, 8),
    (64, 64, 64, 32, 32),
    (256, 16, 32, 32, 32),
]
# The teacher's tap pair whose FSP matrices are [B, C1, C2] of each shape (taps: 0 stem 16 ch, 1 section1 16,
# 2 section2 32, 3 section3 64).
TEACHER_PAIRS = {(16, 16): (0, 1), (32, 32): (2, 2), (64, 64): (3, 3), (16, 32): (1, 2)}
WIRE_DTYPES = ("float32", "float16", "bfloat16")
CLIENT_CACHE_DTYPES = ("float32", "bfloat16")
VIA_SHM = ("matrices", "prefetched")  # the float32 matrices modes also run through a SharedMemory region


class ByteCounter:
    """A client interceptor that adds up the serialised sizes of the requests and responses it sees."""

    def __init__(self):
        import grpc

        counter = self

        def size(message) -> int:  # a protobuf message, or the bytes fspd.Client.fsp_loss sends and reads
            return len(message) if isinstance(message, bytes) else message.ByteSize()

        class Interceptor(grpc.UnaryUnaryClientInterceptor):
            def intercept_unary_unary(self, continuation, details, request):
                out = continuation(details, request)
                counter.sent += size(request)
                counter.received += size(out.result())
                counter.calls.append(details.method.rsplit("/", 1)[-1])
                return out

        self.interceptor = Interceptor()
        self.reset()

    def reset(self) -> None:
        self.sent, self.received, self.calls = 0, 0, []

    def measure(self, fn) -> dict:
        self.reset()
        fn()
        return {"sent": self.sent, "received": self.received, "calls": list(self.calls)}


def start_server(shm_dir: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(["node", "bin/fspd.js", "serve", "--address", "127.0.0.1:0", "--metrics-address", "127.0.0.1:0",
                             "--shared-memory-dir", shm_dir, "--log-level", "info"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if '"serving"' in line:
            return proc, json.loads(line)["addresses"][0]
    raise SystemExit("fspd serve did not start")


def timed_rounds(fns: dict, rounds: int, min_runs: int, budget_s: float) -> dict:
    """{name: (median ms, runs, [median ms per round])} of each step function, measured in ``rounds``
    interleaved rounds: each round runs every function for budget_s / rounds seconds (at least
    min_runs / rounds times), in an order that rotates from round to round, so that the machine's slow and
    fast spells fall on every mode alike (a 2-core machine shared with other work drifts over seconds)."""
    for fn in fns.values():
        fn()  # warm-up
    names = list(fns)
    samples: dict = {k: [] for k in names}
    per_round: dict = {k: [] for k in names}
    at_least = -(-min_runs // rounds)
    for r in range(rounds):
        for k in names[r % len(names):] + names[:r % len(names)]:
            times = []
            end = time.perf_counter() + budget_s / rounds
            while len(times) < at_least or time.perf_counter() < end:
                t = time.perf_counter()
                fns[k]()
                times.append(time.perf_counter() - t)
            samples[k] += times
            per_round[k].append(statistics.median(times) * 1000)
    return {k: (statistics.median(samples[k]) * 1000, len(samples[k]), per_round[k]) for k in names}


def local_fsp_step(a: torch.Tensor, b: torch.Tensor, gt: torch.Tensor) -> None:
    a = a.detach().requires_grad_(True)
    b = b.detach().requires_grad_(True)
    n, c1, h, w = a.shape
    g = torch.bmm(a.reshape(n, c1, h * w), b.reshape(n, b.shape[1], h * w).transpose(1, 2)) / (h * w)
    loss = ((g - gt) ** 2).sum(dim=(1, 2)).mean()
    loss.backward()


def matrices_step(loss_fn: ft.FSPLoss, a: torch.Tensor, b: torch.Tensor, images: torch.Tensor, ids: list) -> None:
    a = a.detach().requires_grad_(True)
    b = b.detach().requires_grad_(True)
    loss = loss_fn([(a, b)], images=images, sample_ids=ids)
    loss.backward()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds per shape (timed_rounds)")
    p.add_argument("--torch-threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    args = p.parse_args()
    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    load_before = os.getloadavg()
    shm_dir = tempfile.mkdtemp(prefix="fspd-bench-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    proc, address = start_server(shm_dir)
    # Seconds per mode and shape, split over the rounds.
    rounds, min_runs, budget = (1, 2, 0.0) if args.quick else (args.rounds, 5, 2.0)
    records = []
    counter = ByteCounter()
    try:
        with fspd.Client(address, timeout=600) as c, fspd.Client(address, timeout=600, interceptors=[counter.interceptor]) as counted:
            teacher = c.create_resnet(8, input_shape=[32, 32, 3], seed=1, model_id="bench-teacher")
            for batch, c1, c2, h, w in SHAPES:
                gen = torch.Generator().manual_seed(0)
                a = torch.randn(batch, c1, h, w, generator=gen)
                b = torch.randn(batch, c2, h, w, generator=gen)
                images = torch.randn(batch, 3, 32, 32, generator=gen)
                ids = [f"bench-{batch}-{c1}-{c2}-{h}-{i}" for i in range(batch)]
                pair = TEACHER_PAIRS[(c1, c2)]
                # Warm the server's cache with this batch (every timed step then hits it), and take its float32
                # matrices as the teacher matrices of every mode.
                warm = c.teacher_fsp(teacher.model_id, images.permute(0, 2, 3, 1).numpy(), sample_ids=ids, pairs=[pair])
                gtn = warm.matrices[0]
                assert gtn.shape == (batch, c1, c2), gtn.shape
                gt = torch.from_numpy(gtn)
                an, bn = a.numpy(), b.numpy()
                req = c.fsp_loss_request([(an, bn)], teacher_matrices=[gtn], layout="NCHW", return_gradients=True)
                shm_size = 2 * (an.nbytes + bn.nbytes) + gtn.nbytes + 4096
                shm = fspd.SharedMemory(c, shm_dir, f"bench-{batch}-{c1}-{c2}-{h}", shm_size)
                fns = {
                    "local": lambda: local_fsp_step(a, b, gt),
                    "inline": lambda: c.fsp_loss([(an, bn)], teacher_matrices=[gtn], layout="NCHW"),
                    "prepared": lambda: c.fsp_loss_raw(req),
                    "shm": lambda: shm.fsp_loss([(an, bn)], teacher_matrices=[gtn], layout="NCHW"),
                }
                loss_fns = {}
                # One region per via-shm mode (a region serves one call at a time), twice the batch's float32 matrices.
                matrices_shm = fspd.SharedMemory(c, shm_dir, f"bench-matrices-{batch}-{c1}-{c2}-{h}", 2 * gtn.nbytes + 4096)
                prefetched_shm = fspd.SharedMemory(c, shm_dir, f"bench-prefetched-{batch}-{c1}-{c2}-{h}", 2 * gtn.nbytes + 4096)
                loss_fns["matrices-shm"] = fn = ft.FSPLoss(c, teacher_model_id=teacher.model_id, teacher_pairs=[pair], shared_memory=matrices_shm)
                fns["matrices-shm"] = lambda fn=fn: matrices_step(fn, a, b, images, ids)
                loss_fns["prefetched-shm"] = fn = ft.FSPLoss(c, teacher_model_id=teacher.model_id, teacher_pairs=[pair], shared_memory=prefetched_shm)
                fn.prefetch(None, ids)

                def pipelined_shm(fn=fn):
                    fn.prefetch(None, ids)
                    matrices_step(fn, a, b, None, ids)

                fns["prefetched-shm"] = pipelined_shm
                for dt in WIRE_DTYPES:
                    loss_fns[f"matrices-{dt}"] = fn = ft.FSPLoss(c, teacher_model_id=teacher.model_id, teacher_pairs=[pair], matrices_dtype=dt)
                    fns[f"matrices-{dt}"] = lambda fn=fn: matrices_step(fn, a, b, images, ids)
                    # Prefetched: each step first asks for the next step's matrices (same ids here), then computes
                    # with the ones asked for one step earlier: the call overlaps a step's torch work.
                    loss_fns[f"prefetched-{dt}"] = fn = ft.FSPLoss(c, teacher_model_id=teacher.model_id, teacher_pairs=[pair], matrices_dtype=dt)
                    fn.prefetch(None, ids)

                    def pipelined(fn=fn):
                        fn.prefetch(None, ids)
                        matrices_step(fn, a, b, None, ids)

                    fns[f"prefetched-{dt}"] = pipelined
                for dt in CLIENT_CACHE_DTYPES:
                    # Held here after the warm-up step: every timed step is served without a call.
                    loss_fns[f"held-{dt}"] = fn = ft.FSPLoss(c, teacher_model_id=teacher.model_id, teacher_pairs=[pair], matrices_dtype=dt, client_cache_bytes=1 << 30)
                    fns[f"held-{dt}"] = lambda fn=fn: matrices_step(fn, a, b, images, ids)
                try:
                    t = timed_rounds(fns, rounds, min_runs, budget)
                finally:
                    for fn in loss_fns.values():
                        fn.close()
                    for region in (shm, matrices_shm, prefetched_shm):
                        region.close()
                for key in [f"{mode}-{dt}" for mode in ("matrices", "prefetched") for dt in WIRE_DTYPES] + [f"{mode}-shm" for mode in VIA_SHM]:
                    hits = loss_fns[key].cache_hits
                    assert hits == batch, f"{key}, warm server cache: {hits} of {batch} hits"
                for dt in CLIENT_CACHE_DTYPES:
                    held = loss_fns[f"held-{dt}"].client_cache_hits
                    assert held == batch, f"client cache {dt}: {held} of {batch} held"
                local_ms, local_runs, local_rounds = t["local"]
                client_full_ms, client_runs, _ = t["inline"]
                rpc_ms, shm_ms = t["prepared"][0], t["shm"][0]
                matrices_ms = {dt: t[f"matrices-{dt}"][0] for dt in WIRE_DTYPES}
                prefetched_ms = {dt: t[f"prefetched-{dt}"][0] for dt in WIRE_DTYPES}
                client_cache_ms = {dt: t[f"held-{dt}"][0] for dt in CLIENT_CACHE_DTYPES}
                shm_matrices_ms = {mode: t[f"{mode}-shm"][0] for mode in VIA_SHM}

                # Bytes on the wire per step, one untimed step of each mode through the counting client.
                wire = {"inline": counter.measure(lambda: counted.fsp_loss([(an, bn)], teacher_matrices=[gtn], layout="NCHW"))}
                with fspd.SharedMemory(counted, shm_dir, f"bench-bytes-{batch}-{c1}", shm_size) as shm:
                    wire["shared_memory"] = counter.measure(lambda: shm.fsp_loss([(an, bn)], teacher_matrices=[gtn], layout="NCHW"))
                    wire["shared_memory"]["through_region"] = 2 * (an.nbytes + bn.nbytes) + gtn.nbytes
                for dt in WIRE_DTYPES:
                    fn = ft.FSPLoss(counted, teacher_model_id=teacher.model_id, teacher_pairs=[pair], matrices_dtype=dt)
                    wire[f"matrices_{dt}"] = counter.measure(lambda: matrices_step(fn, a, b, images, ids))
                with fspd.SharedMemory(counted, shm_dir, f"bench-bytes-matrices-{batch}-{c1}", 2 * gtn.nbytes + 4096) as region:
                    fn = ft.FSPLoss(counted, teacher_model_id=teacher.model_id, teacher_pairs=[pair], shared_memory=region)
                    wire["matrices_shared_memory"] = counter.measure(lambda: matrices_step(fn, a, b, images, ids))
                    wire["matrices_shared_memory"]["through_region"] = gtn.nbytes
                for dt in CLIENT_CACHE_DTYPES:  # a step on a held batch (the first step, which fills it, moves what matrices_<dt> does)
                    fn = ft.FSPLoss(counted, teacher_model_id=teacher.model_id, teacher_pairs=[pair], matrices_dtype=dt, client_cache_bytes=1 << 30)
                    matrices_step(fn, a, b, images, ids)
                    wire[f"client_cache_{dt}"] = counter.measure(lambda: matrices_step(fn, a, b, images, ids))
                    wire[f"client_cache_{dt}"]["held_bytes"] = fn.client_cache.bytes
                for v in wire.values():
                    v.pop("calls", None)

                mib = (an.nbytes + bn.nbytes + gtn.nbytes) / 2**20
                base = local_ms
                records.append({
                    "shape": {"batch": batch, "c1": c1, "c2": c2, "height": h, "width": w}, "teacher_pair": list(pair),
                    "client_ms": client_full_ms, "client_prepared_request_ms": rpc_ms, "client_shared_memory_ms": shm_ms,
                    "matrices_ms": matrices_ms, "matrices_prefetched_ms": prefetched_ms, "client_cache_ms": client_cache_ms,
                    "matrices_shared_memory_ms": shm_matrices_ms,
                    "torch_local_ms": base, "torch_local_ms_per_round": local_rounds,
                    "ms_per_round": {k: v[2] for k, v in t.items()},
                    "ratio": client_full_ms / base, "ratio_shared_memory": shm_ms / base,
                    "ratio_matrices": {dt: matrices_ms[dt] / base for dt in WIRE_DTYPES},
                    "ratio_matrices_prefetched": {dt: prefetched_ms[dt] / base for dt in WIRE_DTYPES},
                    "ratio_client_cache": {dt: client_cache_ms[dt] / base for dt in CLIENT_CACHE_DTYPES},
                    "ratio_matrices_shared_memory": {mode: shm_matrices_ms[mode] / base for mode in VIA_SHM},
                    "request_mib": mib, "wire_bytes_per_step": wire, "runs": {"client": client_runs, "torch": local_runs},
                })
                r = records[-1]
                print(f"[{batch:>3}, {c1:>2}, {c2:>2}, {h:>2}, {w:>2}]  inline {client_full_ms:7.1f}  shm {shm_ms:6.1f}  "
                      + "  ".join(f"mat-{dt} {matrices_ms[dt]:6.2f}" for dt in WIRE_DTYPES)
                      + "  " + "  ".join(f"pre-{dt} {prefetched_ms[dt]:6.2f}" for dt in WIRE_DTYPES)
                      + "  " + "  ".join(f"{mode}-shm {shm_matrices_ms[mode]:6.2f}" for mode in VIA_SHM)
                      + "  " + "  ".join(f"held-{dt} {client_cache_ms[dt]:6.2f}" for dt in CLIENT_CACHE_DTYPES)
                      + f"  torch {local_ms:6.2f} ms (rounds {min(local_rounds):.2f}–{max(local_rounds):.2f})  ratios {r['ratio']:.1f}x / {r['ratio_shared_memory']:.2f}x / "
                      + " / ".join(f"{r['ratio_matrices'][dt]:.2f}x" for dt in WIRE_DTYPES)
                      + " / prefetched " + " / ".join(f"{r['ratio_matrices_prefetched'][dt]:.2f}x" for dt in WIRE_DTYPES)
                      + " / via shm " + " / ".join(f"{r['ratio_matrices_shared_memory'][mode]:.2f}x" for mode in VIA_SHM)
                      + " / client cache " + " / ".join(f"{r['ratio_client_cache'][dt]:.2f}x" for dt in CLIENT_CACHE_DTYPES), flush=True)
            c.delete_model(teacher.model_id)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(shm_dir, ignore_errors=True)
    geo = lambda xs: float(np.exp(np.mean(np.log(xs))))  # noqa: E731
    out = {
        "benchmark": "clients", "quick": args.quick,
        "what": "a PyTorch student's FSP loss step (forward + backward, NCHW float32) through fspd vs local PyTorch with the teacher matrices in memory: "
                "FspLoss with the maps inline or through shared memory, the matrices mode (TeacherFsp on a warm cache + the loss in torch), "
                "the matrices mode with the matrices through a shared-memory region (matrices_to), "
                "and the matrices mode with the matrices held in the client (client_cache_bytes: no call)",
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(), "torch": torch.__version__,
                    "torch_threads": torch.get_num_threads(), "load_average_before": load_before, "load_average_after": os.getloadavg()},
        "rounds": rounds,
        "records": records,
        "geomean_ratio": geo([r["ratio"] for r in records]),
        "geomean_ratio_shared_memory": geo([r["ratio_shared_memory"] for r in records]),
        "geomean_ratio_matrices": {dt: geo([r["ratio_matrices"][dt] for r in records]) for dt in WIRE_DTYPES},
        "geomean_ratio_matrices_prefetched": {dt: geo([r["ratio_matrices_prefetched"][dt] for r in records]) for dt in WIRE_DTYPES},
        "geomean_ratio_client_cache": {dt: geo([r["ratio_client_cache"][dt] for r in records]) for dt in CLIENT_CACHE_DTYPES},
        "geomean_ratio_matrices_shared_memory": {mode: geo([r["ratio_matrices_shared_memory"][mode] for r in records]) for mode in VIA_SHM},
    }
    path = ROOT / "bench" / "results" / "clients.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    kib = lambda n: f"{n / 1024:,.0f}"  # noqa: E731
    print("\nmedian ms per step; ratio = ms / torch local ms:\n")
    print("| shape [B, C1, C2, H, W] | torch local | inline maps | shared memory | matrices f32 | f16 | bf16 | prefetched f32 | f16 | bf16 "
          "| matrices via shm f32 | prefetched via shm f32 | client cache f32 | bf16 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in records:
        s, m, q, pm, pq = r["shape"], r["matrices_ms"], r["ratio_matrices"], r["matrices_prefetched_ms"], r["ratio_matrices_prefetched"]
        cm, cq = r["client_cache_ms"], r["ratio_client_cache"]
        cells = [f"{r['client_ms']:.1f} ({r['ratio']:.1f}×)", f"{r['client_shared_memory_ms']:.2f} ({r['ratio_shared_memory']:.2f}×)"]
        cells += [f"{m[dt]:.2f} ({q[dt]:.2f}×)" for dt in WIRE_DTYPES] + [f"{pm[dt]:.2f} ({pq[dt]:.2f}×)" for dt in WIRE_DTYPES]
        cells += [f"{r['matrices_shared_memory_ms'][mode]:.2f} ({r['ratio_matrices_shared_memory'][mode]:.2f}×)" for mode in VIA_SHM]
        cells += [f"{cm[dt]:.2f} ({cq[dt]:.2f}×)" for dt in CLIENT_CACHE_DTYPES]
        print(f"| [{s['batch']}, {s['c1']}, {s['c2']}, {s['height']}, {s['width']}] | {r['torch_local_ms']:.2f} | " + " | ".join(cells) + " |")
    print("\nKiB on the wire per step (request up + response down; protobuf messages):\n")
    print("| shape [B, C1, C2, H, W] | inline maps | shared memory (through the region) | matrices f32 | matrices f16 | matrices bf16 "
          "| matrices via shm f32 (through the region) | client cache f32 (held) | client cache bf16 (held) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in records:
        s, wb = r["shape"], r["wire_bytes_per_step"]
        cell = lambda k: f"{kib(wb[k]['sent'])} + {kib(wb[k]['received'])}"  # noqa: E731
        held = lambda k: f"{wb[k]['sent']} + {wb[k]['received']} B ({kib(wb[k]['held_bytes'])})"  # noqa: E731
        print(f"| [{s['batch']}, {s['c1']}, {s['c2']}, {s['height']}, {s['width']}] | {cell('inline')} | {wb['shared_memory']['sent'] + wb['shared_memory']['received']} B "
              f"({kib(wb['shared_memory']['through_region'])}) | {cell('matrices_float32')} | {cell('matrices_float16')} | {cell('matrices_bfloat16')} | "
              f"{wb['matrices_shared_memory']['sent'] + wb['matrices_shared_memory']['received']} B ({kib(wb['matrices_shared_memory']['through_region'])}) | "
              f"{held('client_cache_float32')} | {held('client_cache_bfloat16')} |")
    g, gp, gc = out["geomean_ratio_matrices"], out["geomean_ratio_matrices_prefetched"], out["geomean_ratio_client_cache"]
    print(f"\ngeomean ratio {out['geomean_ratio']:.1f}× inline, {out['geomean_ratio_shared_memory']:.2f}× shared memory, matrices "
          f"{g['float32']:.2f}× f32 / {g['float16']:.2f}× f16 / {g['bfloat16']:.2f}× bf16, prefetched "
          f"{gp['float32']:.2f}× / {gp['float16']:.2f}× / {gp['bfloat16']:.2f}×, via shm {out['geomean_ratio_matrices_shared_memory']['matrices']:.2f}× / "
          f"prefetched {out['geomean_ratio_matrices_shared_memory']['prefetched']:.2f}×, client cache "
          f"{gc['float32']:.2f}× f32 / {gc['bfloat16']:.2f}× bf16  → {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
