"""examples/ddp_student.py: torchrun --nproc_per_node 2 (gloo, CPU) DDP ranks sharing one fspd teacher through
TeacherRef; per-step losses equal a single-process run on the same data to 1e-5, and the teacher cache the
ranks share serves every sample of the second epoch."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# CI installs torch, so there this module must not skip; the wheel suite's venv has no torch by design and says so.
if os.environ.get("CI") and not os.environ.get("FSPD_TEST_WITHOUT_TORCH"):
    import torch  # noqa: F401
else:
    pytest.importorskip("torch", reason="torch is not installed (pip install torch; .ci/run installs it)")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "ddp_student.py"

pytestmark = pytest.mark.torch


def run(cmd, out: Path) -> dict:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    text = r.stdout + r.stderr
    if "UNIMPLEMENTED" in text:
        pytest.xfail("server answers UNIMPLEMENTED:\n" + text[-2000:])
    assert r.returncode == 0, text[-4000:]
    return json.loads(out.read_text())


def test_two_ddp_ranks_equal_one_process_and_share_the_teacher_cache(server: str, tmp_path: Path):
    args = ["--address", server, "--samples", "48", "--global-batch", "12", "--epochs", "2"]
    ddp = run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(EXAMPLE), *args,
               "--out", str(tmp_path / "ddp.json")], tmp_path / "ddp.json")
    single = run([sys.executable, str(EXAMPLE), *args, "--out", str(tmp_path / "single.json")], tmp_path / "single.json")

    assert ddp["world_size"] == 2 and single["world_size"] == 1
    assert len(ddp["steps"]) == len(single["steps"]) == 8
    for k, (d, s) in enumerate(zip(ddp["steps"], single["steps"])):
        assert d["loss"] == pytest.approx(s["loss"], rel=1e-5), f"step {k}: {d['loss']} vs {s['loss']}"
    # Each run has a teacher of its own (rank 0 creates it), so epoch 1 starts cold; epoch 2 finds every sample
    # that either rank asked for in epoch 1 in the server's cache.
    for r in (ddp, single):
        assert [e["hit_rate"] for e in r["epochs"]] == [0.0, 1.0]
        assert [e["samples"] for e in r["epochs"]] == [48, 48]
