#!/usr/bin/env python3
"""The cost of one warm TeacherFsp call from the Python client, per bench:clients shape and wire dtype:
the bare stub call on a prepared request (`teacher_fsp_raw`) and the call as fspd.torch makes it
(`fetch_teacher_matrices`: request, call, tensors). Every sample is in the server's cache (ids go up alone).

With --base DIR, a second server runs from another checkout (e.g. `git archive <commit> | tar -x -C DIR`,
with DIR/node_modules and DIR/build/Release/fspd.node in place), and the two are timed in interleaved rounds
from this one client: a before/after of a server change on one run.

    python3 bench/teacher_fsp_call.py [--base DIR] [--rounds N]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "clients" / "python" / "src"))

import torch  # noqa: E402

import fspd  # noqa: E402
import fspd.torch as ft  # noqa: E402

# (batch, teacher tap pair) of bench:clients' shapes: [128,16,16], [128,32,32], [128,64,64], [64,64,64], [256,16,32].
CASES = [(128, (0, 1)), (128, (2, 2)), (128, (3, 3)), (64, (3, 3)), (256, (1, 2))]
DTYPES = ("float32", "float16", "bfloat16")


def start(root: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(["node", "bin/fspd.js", "serve", "--address", "127.0.0.1:0", "--metrics-address", "127.0.0.1:0", "--log-level", "info"],
                            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if '"serving"' in line:
            return proc, json.loads(line)["addresses"][0]
    raise SystemExit(f"fspd serve did not start in {root}")


def median_ms(fn, runs: int) -> float:
    for _ in range(10):
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--base", type=Path, help="a second checkout whose server is timed against this one")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--runs", type=int, default=150, help="calls per case and round")
    args = p.parse_args()
    roots = {"this": ROOT} if args.base is None else {"base": args.base.resolve(), "this": ROOT}
    servers = {name: start(root) for name, root in roots.items()}
    clients = {name: fspd.Client(address, timeout=600) for name, (_, address) in servers.items()}
    try:
        for c in clients.values():
            c.create_resnet(8, input_shape=[32, 32, 3], seed=1, model_id="teacher")
            for batch, pair in CASES:
                images = torch.randn(batch, 32, 32, 3, generator=torch.Generator().manual_seed(batch)).numpy()
                c.teacher_fsp("teacher", images, sample_ids=[f"s{batch}-{i}" for i in range(batch)], pairs=[pair])
        ms: dict = {}
        for _ in range(args.rounds):
            for batch, pair in CASES:
                ids = [f"s{batch}-{i}" for i in range(batch)]
                ref = ft.TeacherRef("teacher", None, ids, [pair])
                for dt in DTYPES:
                    for name, c in clients.items():
                        req = c.teacher_fsp_request("teacher", None, sample_ids=ids, pairs=[pair], dtype=dt)
                        ms.setdefault((batch, pair, dt, name, "raw"), []).append(median_ms(lambda: c.teacher_fsp_raw(req), args.runs))
                        ms.setdefault((batch, pair, dt, name, "fetch"), []).append(
                            median_ms(lambda: ft.fetch_teacher_matrices(c, ref, matrices_dtype=dt), args.runs))
        names = list(clients)
        print("median over rounds of each round's median ms" + ("; ratio = this / base" if args.base else ""))
        print("| batch | pair | dtype | " + " | ".join(f"raw call {n}" for n in names) + " | " + " | ".join(f"fetch_teacher_matrices {n}" for n in names) + " |")
        print("| ---: | --- | --- |" + " ---: |" * (2 * len(names)))
        for batch, pair in CASES:
            for dt in DTYPES:
                cells = []
                for kind in ("raw", "fetch"):
                    got = {n: statistics.median(ms[(batch, pair, dt, n, kind)]) for n in names}
                    cells += [f"{got[n]:.3f}" + (f" ({got['this'] / got['base']:.2f}×)" if args.base and n == "this" else "") for n in names]
                print(f"| {batch} | {pair} | {dt} | " + " | ".join(cells) + " |")
    finally:
        for c in clients.values():
            c.close()
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
