#!/usr/bin/env python3
"""A PyTorch student distilled from a teacher that lives in the fspd sidecar (Yim et al. 2017).

The server holds the teacher (a ResNet it first trains on its own MNIST). The student is a PyTorch CNN
built here with feature maps of the teacher's tap shapes. Stage 1 minimises the FSP loss between the
student's maps and the teacher's FSP matrices — fspd.torch.FSPLoss asks the server for the teacher's matrices
(TeacherFsp, cached per sample id: the ids alone once cached) and computes the loss and its gradients here
with torch; with --shared-memory-dir the maps go to the server's FspLoss through shared memory instead.
Stage 2 is ordinary cross-entropy in PyTorch.

    python examples/torch_student.py --address 127.0.0.1:50051 --teacher-steps 300 --steps 200
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

import fspd  # noqa: E402
import fspd.torch as ft  # noqa: E402
import mnist  # noqa: E402
from fspd.v1 import training_service_pb2 as tpb  # noqa: E402


class Student(nn.Module):
    """One conv block per teacher tap, with the tap's channels and spatial size, then a linear head."""

    def __init__(self, in_channels: int, taps: list, num_classes: int):
        super().__init__()
        blocks, c, h = [], in_channels, None
        for tap_h, _tap_w, tap_c in taps:
            stride = 1 if h is None else max(1, h // tap_h)
            blocks.append(nn.Sequential(nn.Conv2d(c, tap_c, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(tap_c), nn.ReLU()))
            c, h = tap_c, tap_h
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor):
        maps = []
        for b in self.blocks:
            x = b(x)
            maps.append(x)
        return self.head(x.mean(dim=(2, 3))), maps


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--address", default=os.environ.get("FSPD_ADDRESS", "127.0.0.1:50051"))
    p.add_argument("--token", default=os.environ.get("FSPD_TOKEN"))
    p.add_argument("--teacher-steps", type=int, default=200, help="server-side cross-entropy steps of the teacher")
    p.add_argument("--steps", type=int, default=100, help="steps of each student stage")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--mnist-dir", type=Path)
    p.add_argument("--shared-memory-dir", default=os.environ.get("FSPD_SHARED_MEMORY_DIR"),
                   help="the server's --shared-memory-dir as this process sees it (same host or pod): the maps and "
                        "gradients go through a file there instead of the socket")
    a = p.parse_args()
    torch.manual_seed(0)

    x, y, ids = mnist.load(a.mnist_dir)
    split = len(x) * 4 // 5
    with fspd.Client(a.address, token=a.token, timeout=300) as c:
        teacher = c.create_resnet(14, input_shape=[28, 28, 1], seed=1)
        shm = None
        try:
            print(f"== teacher {teacher.name} on the server: {a.teacher_steps} cross-entropy steps on its MNIST")
            with fspd.TrainingSession.create(c, teacher.model_id, seed=0,
                                             cross_entropy_schedule=tpb.Schedule(learning_rates=[0.05], until_steps=[max(1, a.teacher_steps)])) as t:
                t.run("mnist", steps=a.teacher_steps, batch_size=a.batch, progress_every=max(1, a.teacher_steps // 4), progress=True)

            taps = [tuple(int(d) for d in tap.shape) for tap in teacher.taps]
            student = Student(1, taps, teacher.num_classes)
            pairs = [(p.first, p.second) for p in teacher.pairs]
            if a.shared_memory_dir:
                # Room for one step: each pair's two maps, their gradients and the teacher's matrices.
                size = sum(a.batch * 4 * (2 * (np.prod(taps[i]) + np.prod(taps[j])) + taps[i][-1] * taps[j][-1]) + 256 for i, j in pairs)
                shm = fspd.SharedMemory(c, a.shared_memory_dir, f"torch-student-{os.getpid()}", int(size))
                print(f"== maps and gradients through shared memory: {shm.path} ({int(size)} bytes)")
            # By default only the teacher's FSP matrices cross the wire (TeacherFsp) and the loss is computed here;
            # with shared memory the maps go to the server's FspLoss through it instead (compute="server").
            fsp = ft.FSPLoss(c, teacher_model_id=teacher.model_id, shared_memory=shm, compute="server" if shm else "auto")
            opt = torch.optim.SGD(student.parameters(), lr=0.01, momentum=0.9)

            def batches(steps):
                for k in range(steps):
                    i = (k * a.batch) % (split - a.batch)
                    yield torch.from_numpy(x[i:i + a.batch]).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(y[i:i + a.batch]).long(), ids[i:i + a.batch]

            print(f"== stage 1: FSP loss against the sidecar's teacher, {len(pairs)} pairs, {a.steps} steps")
            for k, (images, _labels, sample_ids) in enumerate(batches(a.steps), 1):
                _, maps = student(images)
                loss = fsp([(maps[i], maps[j]) for i, j in pairs], images=images, sample_ids=list(sample_ids))
                opt.zero_grad()
                loss.backward()
                opt.step()
                if k % max(1, a.steps // 5) == 0 or k == 1:
                    print(f"step {k:5d}  fsp loss {loss.item():.5g}")

            print(f"== stage 2: cross-entropy in PyTorch, {a.steps} steps")
            opt = torch.optim.SGD(student.parameters(), lr=0.05, momentum=0.9)
            for k, (images, labels, _) in enumerate(batches(a.steps), 1):
                logits, _ = student(images)
                loss = nn.functional.cross_entropy(logits, labels)
                opt.zero_grad()
                loss.backward()
                opt.step()
                if k % max(1, a.steps // 5) == 0:
                    print(f"step {k:5d}  cross-entropy {loss.item():.4f}")

            student.eval()
            with torch.no_grad():
                logits, _ = student(torch.from_numpy(x[split:]).permute(0, 3, 1, 2))
            acc = (logits.argmax(1).numpy() == y[split:]).mean()
            print(f"final: student accuracy {acc:.4f} on {len(x) - split} held-out digits")
        finally:
            if shm is not None:
                shm.close()
            c.delete_model(teacher.model_id)


if __name__ == "__main__":
    main()
