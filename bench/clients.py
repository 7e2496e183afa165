#!/usr/bin/env python3
"""bench:clients — FspLoss with gradients through the Python client (a sidecar call over loopback gRPC)
vs a local PyTorch FSP forward+backward, on bench:fsp's five shapes, NCHW, float32, in one run.

Both sides compute the same thing: the student pair's FSP matrices, the paper loss against cached teacher
matrices, and dL/d(both student maps). The client side includes serialising the maps, the RPC and
decoding the gradients. A second client column goes through fspd.SharedMemory (the maps copied into a
region under /dev/shm, gradients copied out of it), as a trainer beside a sidecar would. Prints a table,
writes bench/results/clients.json.
    python3 bench/clients.py [--quick]   (starts its own server)
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

SHAPES = [  # batch, c1, c2, height, width (bench/fsp.ts)
    (128, 16, 16, 32, 32),
    (128, 32, 32, 16, 16),
    (128, 64, 64, 8, 8),
    (64, 64, 64, 32, 32),
    (256, 16, 32, 32, 32),
]


def start_server(shm_dir: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(["node", "bin/fspd.js", "serve", "--address", "127.0.0.1:0", "--metrics-address", "127.0.0.1:0",
                             "--shared-memory-dir", shm_dir, "--log-level", "info"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if '"serving"' in line:
            return proc, json.loads(line)["addresses"][0]
    raise SystemExit("fspd serve did not start")


def timed(fn, min_runs: int, budget_s: float) -> tuple[float, int]:
    fn()  # warm-up
    times = []
    end = time.perf_counter() + budget_s
    while len(times) < min_runs or time.perf_counter() < end:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, len(times)


def local_fsp_step(a: torch.Tensor, b: torch.Tensor, gt: torch.Tensor) -> None:
    a = a.detach().requires_grad_(True)
    b = b.detach().requires_grad_(True)
    n, c1, h, w = a.shape
    g = torch.bmm(a.reshape(n, c1, h * w), b.reshape(n, b.shape[1], h * w).transpose(1, 2)) / (h * w)
    loss = ((g - gt) ** 2).sum(dim=(1, 2)).mean()
    loss.backward()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    args = p.parse_args()
    shm_dir = tempfile.mkdtemp(prefix="fspd-bench-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    proc, address = start_server(shm_dir)
    min_runs, budget = (2, 0.0) if args.quick else (5, 2.0)
    records = []
    try:
        with fspd.Client(address, timeout=600) as c:
            for batch, c1, c2, h, w in SHAPES:
                gen = torch.Generator().manual_seed(0)
                a = torch.randn(batch, c1, h, w, generator=gen)
                b = torch.randn(batch, c2, h, w, generator=gen)
                gt = torch.randn(batch, c1, c2, generator=gen)
                an, bn, gtn = a.numpy(), b.numpy(), gt.numpy()
                req = c.fsp_loss_request([(an, bn)], teacher_matrices=[gtn], layout="NCHW", return_gradients=True)
                client_full_ms, client_runs = timed(lambda: c.fsp_loss([(an, bn)], teacher_matrices=[gtn], layout="NCHW"), min_runs, budget)
                rpc_ms, _ = timed(lambda: c.fsp_loss_raw(req), min_runs, budget)
                local_ms, local_runs = timed(lambda: local_fsp_step(a, b, gt), min_runs, budget)
                with fspd.SharedMemory(c, shm_dir, f"bench-{batch}-{c1}-{c2}-{h}", 2 * (an.nbytes + bn.nbytes) + gtn.nbytes + 4096) as shm:
                    shm_ms, _ = timed(lambda: shm.fsp_loss([(an, bn)], teacher_matrices=[gtn], layout="NCHW"), min_runs, budget)
                mib = (an.nbytes + bn.nbytes + gtn.nbytes) / 2**20
                records.append({
                    "shape": {"batch": batch, "c1": c1, "c2": c2, "height": h, "width": w},
                    "client_ms": client_full_ms, "client_prepared_request_ms": rpc_ms, "client_shared_memory_ms": shm_ms,
                    "torch_local_ms": local_ms, "ratio": client_full_ms / local_ms, "ratio_shared_memory": shm_ms / local_ms, "request_mib": mib, "runs": {"client": client_runs, "torch": local_runs},
                })
                r = records[-1]
                print(f"[{batch:>3}, {c1:>2}, {c2:>2}, {h:>2}, {w:>2}]  client {r['client_ms']:8.1f} ms  (prepared {rpc_ms:8.1f})  "
                      f"shm {shm_ms:8.1f} ms  torch {local_ms:8.1f} ms  ratio {r['ratio']:.2f}x / shm {r['ratio_shared_memory']:.2f}x  "
                      f"({mib:.0f} MiB sent)", flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(shm_dir, ignore_errors=True)
    out = {
        "benchmark": "clients", "quick": args.quick,
        "what": "FspLoss with gradients via the Python client over loopback gRPC vs local PyTorch FSP forward+backward, NCHW float32, teacher matrices given",
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(), "torch": torch.__version__,
                    "torch_threads": torch.get_num_threads()},
        "records": records,
        "geomean_ratio": float(np.exp(np.mean(np.log([r["ratio"] for r in records])))),
        "geomean_ratio_shared_memory": float(np.exp(np.mean(np.log([r["ratio_shared_memory"] for r in records])))),
    }
    path = ROOT / "bench" / "results" / "clients.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    print("\n| shape [B, C1, C2, H, W] | MiB sent | client ms | client (shared memory) ms | torch local ms | ratio | ratio (shared memory) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in records:
        s = r["shape"]
        print(f"| [{s['batch']}, {s['c1']}, {s['c2']}, {s['height']}, {s['width']}] | {r['request_mib']:.0f} | {r['client_ms']:.1f} | "
              f"{r['client_shared_memory_ms']:.1f} | {r['torch_local_ms']:.1f} | {r['ratio']:.2f}× | {r['ratio_shared_memory']:.2f}× |")
    print(f"\ngeomean ratio {out['geomean_ratio']:.2f}× inline, {out['geomean_ratio_shared_memory']:.2f}× shared memory  → {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
