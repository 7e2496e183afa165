"""Remote training: a session on the server that trains a student model in place, in the paper's two
stages (stage 1: FSP loss against the frozen teacher; stage 2: cross-entropy).

    with fspd.Client(addr) as c:
        teacher = c.create_resnet(26, input_shape=[28, 28, 1], seed=1)
        student = c.create_resnet(8, input_shape=[28, 28, 1], seed=2)
        with TrainingSession.create(c, student.model_id, teacher.model_id, seed=0) as s:
            s.run("mnist", steps=100, progress=True)            # stage 1 on the server's MNIST
            s.set_stage("cross_entropy")
            s.train(my_batches(), progress=True)               # stage 2 on batches streamed from here
            print(s.evaluate("mnist").accuracy)
            s.save("after-stage-2")
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, List, Optional, Sequence, TextIO, Union

from .client import Client
from .v1 import training_service_pb2 as train_pb

__all__ = ["TrainingSession", "RunSummary", "print_progress"]

Progress = Union[bool, Callable[[Any], None], None]


def print_progress(event: Any, out: TextIO = sys.stderr) -> None:
    """One line per StepResult, RunProgress, Evaluation or Checkpoint."""
    stage = lambda s: train_pb.Stage.Name(s).removeprefix("STAGE_").lower()  # noqa: E731
    if isinstance(event, train_pb.StepResult):
        line = f"step {event.step:>6}  {stage(event.stage):<13} loss {event.loss:.6g}  acc {event.accuracy:.3f}  lr {event.learning_rate:.3g}  {event.seconds * 1000:.0f} ms"
    elif isinstance(event, train_pb.RunProgress):
        s = event.last_step
        line = (f"step {s.step:>6}  {stage(s.stage):<13} [{event.steps_done}/{event.steps_total}] epoch {event.epoch}  "
                f"loss {event.mean_loss:.6g}  acc {event.mean_accuracy:.3f}  {event.samples_per_second:.0f} samples/s")
    elif isinstance(event, train_pb.Evaluation):
        line = f"eval   {event.step:>6}  {stage(event.stage):<13} accuracy {event.accuracy:.4f}  cross-entropy {event.cross_entropy:.4g}  fsp {event.fsp_loss:.4g}  ({event.samples} samples)"
    elif isinstance(event, train_pb.Checkpoint):
        line = f"checkpoint {event.checkpoint_id!r} at step {event.step} ({event.size_bytes} bytes)"
    else:
        line = str(event)
    print(line, file=out, flush=True)


def _reporter(progress: Progress) -> Callable[[Any], None]:
    if progress is True:
        return print_progress
    if callable(progress):
        return progress
    return lambda _event: None


@dataclass
class RunSummary:
    """What a Run streamed: progress messages, evaluations and checkpoints, in order."""

    progress: List[train_pb.RunProgress] = field(default_factory=list)
    evaluations: List[train_pb.Evaluation] = field(default_factory=list)
    checkpoints: List[train_pb.Checkpoint] = field(default_factory=list)

    @property
    def last_step(self) -> Optional[train_pb.StepResult]:
        return self.progress[-1].last_step if self.progress else None


class TrainingSession:
    """A training session on an fspd server (TrainingService), driven from here. ``progress``: True prints
    a line per event to stderr, a callable receives each StepResult / RunProgress / Evaluation / Checkpoint.
    Used as a context manager it deletes the session at exit (``keep=True`` keeps it)."""

    def __init__(self, client: Client, session: train_pb.Session, *, keep: bool = False):
        self.client = client
        self.session = session
        self.keep = keep

    @classmethod
    def create(
        cls,
        client: Client,
        student_model_id: str,
        teacher_model_id: str = "",
        *,
        session_id: str = "",
        stage: Union[str, int, None] = None,
        keep: bool = False,
        **spec_fields: Any,
    ) -> "TrainingSession":
        """Creates the session (SessionSpec fields as keywords: ``seed=0``, ``reduction='mean'``,
        ``fsp_schedule=Schedule(...)``, ``optimizer=Optimizer(...)``)."""
        s = client.create_session(student_model_id, teacher_model_id, session_id=session_id, stage=stage, **spec_fields)
        return cls(client, s, keep=keep)

    @classmethod
    def attach(cls, client: Client, session_id: str, *, keep: bool = True) -> "TrainingSession":
        """An existing session (kept at exit by default)."""
        return cls(client, client.get_session(session_id), keep=keep)

    @property
    def id(self) -> str:
        return self.session.session_id

    def refresh(self) -> train_pb.Session:
        self.session = self.client.get_session(self.id)
        return self.session

    def step(self, images: Any, labels: Any = None, sample_ids: Optional[Sequence[str]] = None, *, progress: Progress = None) -> train_pb.StepResult:
        """One optimisation step on a batch (NHWC images, class ids)."""
        r = self.client.train_step(self.id, images, labels, sample_ids=sample_ids)
        _reporter(progress)(r)
        return r

    def train(self, batches: Iterable[Any], *, progress: Progress = None, timeout: Optional[float] = None) -> List[train_pb.StepResult]:
        """Streams batches ((images, labels[, sample_ids]) tuples) over one Train stream; a step per batch."""
        report = _reporter(progress)
        results = []
        for r in self.client.train(self.id, batches, timeout=timeout):
            report(r)
            results.append(r)
        return results

    def run(self, dataset: Union[str, train_pb.DatasetSpec] = "mnist", *, steps: int = 0, progress: Progress = None, **options: Any) -> RunSummary:
        """The server's own loop over one of its datasets ('mnist', 'cifar10:<dir>', ...); options as
        :meth:`Client.run` (batch_size, progress_every, evaluate_every, checkpoint_every, ...)."""
        report = _reporter(progress)
        out = RunSummary()
        for event in self.client.run(self.id, dataset, steps=steps, **options):
            report(event)
            if isinstance(event, train_pb.RunProgress):
                out.progress.append(event)
            elif isinstance(event, train_pb.Evaluation):
                out.evaluations.append(event)
            elif isinstance(event, train_pb.Checkpoint):
                out.checkpoints.append(event)
        return out

    def evaluate(self, dataset: Union[str, train_pb.DatasetSpec, None] = "mnist", *, images: Any = None, labels: Any = None, **options: Any) -> train_pb.Evaluation:
        """The student's accuracy and losses on a server dataset (test split by default) or a batch."""
        if images is not None:
            dataset = None
        return self.client.evaluate(session_id=self.id, dataset=dataset, images=images, labels=labels, **options)

    def set_stage(self, stage: Union[str, int], *, stage_step: int = 0) -> train_pb.Session:
        self.session = self.client.set_stage(self.id, stage, stage_step=stage_step)
        return self.session

    def save(self, checkpoint_id: str = "") -> train_pb.Checkpoint:
        return self.client.save_checkpoint(self.id, checkpoint_id)

    def restore(self, checkpoint_id: str = "") -> train_pb.Session:
        self.session = self.client.restore_checkpoint(self.id, checkpoint_id)
        return self.session

    def delete(self) -> None:
        self.client.delete_session(self.id)

    def __enter__(self) -> "TrainingSession":
        return self

    def __exit__(self, *exc: Any) -> None:
        if not self.keep:
            try:
                self.delete()
            except Exception:  # noqa: BLE001 — the session may be gone with the server; don't mask the real error
                pass
