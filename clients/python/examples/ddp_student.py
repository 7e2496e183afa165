#!/usr/bin/env python3
"""Data-parallel PyTorch students (DistributedDataParallel, torchrun) sharing one fspd teacher service.

Every rank trains the same student on its share of each global batch (DistributedSampler); its FSP loss
comes from fspd.torch.FSPLoss with the server's teacher (TeacherRef by sample id): only the teacher's FSP
matrices cross the wire, and the loss and its backward run on the rank. The teacher-FSP cache is the
server's, so it is shared by every rank (and every replica's own, behind a headless Service): from the
second epoch on, every sample's matrices come from it, and only ids go up.

The run is the same computation as one process with the whole global batch: the same seed gives every rank
the same initial weights (DDP also broadcasts rank 0's), rank r takes samples r, r+W, r+2W, ... of each
epoch's permutation (together: the single process's batch), the paper loss is a mean over samples, so the
mean of the ranks' losses (all_reduce) and DDP's averaged gradients are the global batch's. The student has
no BatchNorm (its statistics would be per rank). tests/test_ddp.py checks the per-step losses against a
single-process run to 1e-5.

    torchrun --nproc_per_node 2 examples/ddp_student.py --address 127.0.0.1:50051    # gloo, CPU
    python examples/ddp_student.py --address 127.0.0.1:50051                          # one process
    FSPD_TEACHER_ID=teacher torchrun --nnodes 2 --nproc_per_node 1 --rdzv-backend c10d \\
        --rdzv-endpoint fspd-students-0.fspd-students:29400 examples/ddp_student.py  # deploy/k8s/students
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn.parallel import DistributedDataParallel  # noqa: E402
from torch.utils.data import DataLoader, Dataset, DistributedSampler  # noqa: E402

import fspd  # noqa: E402
import fspd.torch as ft  # noqa: E402


class Synthetic(Dataset):
    """Seeded images [C, H, W] (normalised like a dataset's inputs) with their sample ids; the same on every rank."""

    def __init__(self, n: int, shape, seed: int):
        self.images = torch.randn(n, *shape, generator=torch.Generator().manual_seed(seed))

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int):
        return self.images[i], f"synthetic-{i}"


class Student(nn.Module):
    """One conv block per teacher tap with the tap's channels and spatial size (no BatchNorm: see above)."""

    def __init__(self, in_channels: int, taps: list):
        super().__init__()
        blocks, c, h = [], in_channels, None
        for tap_h, _tap_w, tap_c in taps:
            stride = 1 if h is None else max(1, h // tap_h)
            blocks.append(nn.Sequential(nn.Conv2d(c, tap_c, 3, stride=stride, padding=1), nn.ReLU()))
            c, h = tap_c, tap_h
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x: torch.Tensor):
        maps = []
        for b in self.blocks:
            x = b(x)
            maps.append(x)
        return maps


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--address", default=os.environ.get("FSPD_ADDRESS", "127.0.0.1:50051"), help="the teacher service (dns:///name:port for replicas)")
    p.add_argument("--token", default=os.environ.get("FSPD_TOKEN"))
    p.add_argument("--tls", action="store_true", default=os.environ.get("FSPD_TLS") == "1", help="TLS with the system roots or GRPC_DEFAULT_SSL_ROOTS_FILE_PATH")
    p.add_argument("--teacher-id", default=os.environ.get("FSPD_TEACHER_ID"),
                   help="a teacher model the server already holds; default: rank 0 creates a ResNet-8 (--seed) and deletes it after")
    p.add_argument("--samples", type=int, default=64)
    p.add_argument("--global-batch", type=int, default=16, help="samples per step over all ranks (a multiple of the world size)")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--lr", type=float, default=5e-5, help="SGD (momentum 0.9) learning rate; the paper loss of random maps is large")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--matrices-dtype", default="float32", choices=["float32", "float16", "bfloat16"])
    p.add_argument("--out", type=Path, help="rank 0 writes the per-step losses and cache hits here (JSON)")
    a = p.parse_args()

    distributed = "WORLD_SIZE" in os.environ  # set by torchrun
    if distributed:
        dist.init_process_group("gloo")
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    if a.global_batch % world or a.samples % a.global_batch:
        raise SystemExit(f"--global-batch {a.global_batch} must be a multiple of the world size {world}, and --samples {a.samples} of it")

    with fspd.Client(a.address, token=a.token, tls=a.tls, timeout=300) as c:
        created = None
        if a.teacher_id is None:
            holder = [None]
            if rank == 0:
                created = c.create_resnet(8, input_shape=[8, 8, 3], seed=a.seed + 1).model_id
                holder = [created]
            if distributed:
                dist.broadcast_object_list(holder, src=0)
            teacher_id = holder[0]
        else:
            teacher_id = a.teacher_id
        try:
            teacher = c.get_model(teacher_id)
            h, w, ch = (int(d) for d in teacher.input_shape)
            taps = [tuple(int(d) for d in t.shape) for t in teacher.taps]
            pairs = [(q.first, q.second) for q in teacher.pairs]

            torch.manual_seed(a.seed)  # the same initial weights on every rank (and in the single-process run)
            student = Student(ch, taps)
            model = DistributedDataParallel(student) if distributed else student
            opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9)
            loss_fn = ft.FSPLoss(c, teacher_model_id=teacher_id, matrices_dtype=a.matrices_dtype)

            data = Synthetic(a.samples, (ch, h, w), a.seed)
            sampler = DistributedSampler(data, num_replicas=world, rank=rank, shuffle=True, seed=a.seed, drop_last=True)
            loader = DataLoader(data, batch_size=a.global_batch // world, sampler=sampler)
            steps, epochs = [], []
            for epoch in range(a.epochs):
                sampler.set_epoch(epoch)
                hits = seen = 0
                for images, ids in loader:
                    maps = model(images)
                    loss = loss_fn([(maps[i], maps[j]) for i, j in pairs], images=images, sample_ids=list(ids))
                    opt.zero_grad()
                    loss.backward()  # DDP averages the gradients over the ranks
                    opt.step()
                    stats = torch.tensor([loss.item(), float(loss_fn.cache_hits), float(len(ids))], dtype=torch.float64)
                    if distributed:
                        dist.all_reduce(stats)
                    mean_loss = stats[0].item() / world
                    hits, seen = hits + int(stats[1]), seen + int(stats[2])
                    steps.append({"epoch": epoch, "loss": mean_loss, "cache_hits": int(stats[1])})
                    if rank == 0:
                        print(f"epoch {epoch} step {len(steps):3d}  fsp loss {mean_loss:.6g}  cache hits {int(stats[1])}/{int(stats[2])}", flush=True)
                epochs.append({"epoch": epoch, "cache_hits": hits, "samples": seen, "hit_rate": hits / seen})
                if rank == 0:
                    print(f"epoch {epoch}: teacher cache hit rate {hits}/{seen} = {hits / seen:.0%} over {world} rank(s)", flush=True)
            if rank == 0 and a.out:
                a.out.write_text(json.dumps({"world_size": world, "steps": steps, "epochs": epochs}, indent=2) + "\n")
        finally:
            if distributed:
                dist.barrier()  # every rank is done with the teacher before rank 0 deletes it
            if created is not None:
                c.delete_model(created)
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
