"""fspd.Client: the fspd services with numpy in and out.

Every call has a deadline (``timeout`` seconds, per call or the client's default), sends the bearer token
when one is set, retries with exponential backoff and jitter on UNAVAILABLE, and raises an
:class:`fspd.errors.FspdError` subclass carrying the status code and the server's status details (reason,
fields at fault, retry delay).

Several replicas: ``Client(["10.0.0.1:50051", "10.0.0.2:50051"])`` or ``Client("dns:///fspd:50051")`` spreads
calls round-robin over them (gRPC's round_robin policy). Calls that only compute or read (:data:`IDEMPOTENT`:
ComputeFsp, FspLoss, TeacherFsp, Get/List, Evaluate, ExportModel) are retried on any UNAVAILABLE, including a
connection lost mid-call when a replica dies, so they go on on the others. Calls that change state (CreateModel,
TrainStep, ...) are retried only when the request cannot have run: no server could be reached, or the server
refused it while starting. The Train and Run streams are never retried.
"""
from __future__ import annotations

import ipaddress
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, List, Optional, Sequence, Tuple, TypeVar, Union

import grpc
import numpy as np

from . import _tensor, _wire
from .errors import FspdError, from_rpc_error
from .v1 import fsp_service_pb2 as fsp_pb
from .v1 import fsp_service_pb2_grpc as fsp_grpc
from .v1 import model_service_pb2 as model_pb
from .v1 import model_service_pb2_grpc as model_grpc
from .v1 import training_service_pb2 as train_pb
from .v1 import training_service_pb2_grpc as train_grpc
from .v1 import types_pb2 as types_pb

ArrayLike = Any
Pair = Tuple[ArrayLike, ArrayLike]
T = TypeVar("T")

__all__ = ["Client", "FspLossResult", "TeacherFspResult", "Retry", "IDEMPOTENT"]

# RPCs that only compute or read: running one twice does no harm, so any UNAVAILABLE is retried, also the one
# a call gets when its server dies mid-call (grpcio: UNAVAILABLE "Stream removed" / "Socket closed").
IDEMPOTENT = frozenset({
    "ComputeFsp", "FspLoss", "TeacherFsp", "GetModel", "ListModels", "ExportModel", "GetSession", "ListSessions",
    "Evaluate",
})

# UNAVAILABLE that means the request never ran, so that RPCs which change state (and may have run when the
# connection broke mid-call) are retried only then: the server refused it during warm-up (reason
# SERVER_STARTING in its status details), or no server could be reached — a status grpcio makes itself, without
# details, so known by its wording (pick_first's and round_robin's).
_NOT_RUN_REASONS = ("SERVER_STARTING",)
_NOT_CONNECTED = ("failed to connect to all addresses", "connections to all backends failing")


@dataclass(frozen=True)
class FspLossResult:
    """FspLoss's answer as numpy: the loss, each pair's loss, the gradients of each student pair's
    (first, second) maps in the request's layout (when asked), and the teacher's matrices (when asked)."""

    loss: float
    pair_losses: List[float]
    gradients: List[Tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    teacher_matrices: List[np.ndarray] = field(default_factory=list)


@dataclass(frozen=True)
class TeacherFspResult:
    """TeacherFsp's answer: [B, C1, C2] per pair (float32; float16 when asked for; bfloat16 widened to
    float32), how many samples came from the cache, and the teacher's content fingerprint (the same one
    means the same matrices for the same sample and options; empty from older servers)."""

    matrices: List[np.ndarray]
    cache_hits: int
    model_fingerprint: str = ""


@dataclass(frozen=True)
class Retry:
    """Retries of calls that failed with UNAVAILABLE: up to ``attempts`` tries in all, sleeping
    ``initial`` × ``multiplier``^k seconds (at most ``maximum``, with ±50 % jitter) in between, within
    the call's deadline."""

    attempts: int = 5
    initial: float = 0.05
    multiplier: float = 2.0
    maximum: float = 2.0


class Client:
    """A connection to an fspd server, or to several replicas of it.

    >>> c = fspd.Client("127.0.0.1:50051", token=os.environ.get("FSPD_TOKEN"))
    >>> r = c.fsp_loss(student=[(s1, s2)], teacher=[(t1, t2)], layout="NCHW")
    >>> r.loss, r.gradients[0][0].shape

    ``address``: ``host:port``, ``unix:/path`` or any gRPC target (``dns:///name:port``), or a list of
    ``ip:port`` replicas; calls are spread over what the target resolves to by ``lb_policy`` (``"round_robin"``;
    ``"pick_first"`` sticks to one). TLS: ``tls=True`` (system roots) or any of ``root_certificates`` /
    ``private_key`` + ``certificate_chain`` (mTLS) as PEM bytes or file paths; ``server_name`` overrides the
    name checked in the server's certificate. ``timeout``: default deadline in seconds of each call (None = no
    deadline). ``retry``: :class:`Retry`, or None for no retries. ``interceptors``: grpc client interceptors,
    which see each attempt: protobuf messages, except the requests and responses of :meth:`compute_fsp` and
    :meth:`fsp_loss` and the responses of :meth:`teacher_fsp`, which they see serialised (``bytes``: those
    skip protobuf's copies, ``_wire.py``).
    """

    def __init__(
        self,
        address: Union[str, Sequence[str]] = "127.0.0.1:50051",
        *,
        token: Optional[str] = None,
        tls: bool = False,
        root_certificates: Union[bytes, str, None] = None,
        private_key: Union[bytes, str, None] = None,
        certificate_chain: Union[bytes, str, None] = None,
        server_name: Optional[str] = None,
        timeout: Optional[float] = 60.0,
        retry: Optional[Retry] = Retry(),
        max_message_size: int = 64 * 1024 * 1024,
        options: Sequence[Tuple[str, Any]] = (),
        channel: Optional[grpc.Channel] = None,
        lb_policy: str = "round_robin",
        interceptors: Sequence[Any] = (),
    ):
        self.addresses = [address] if isinstance(address, str) else list(address)
        self.address = ",".join(self.addresses)
        target = _target(self.addresses)
        self.timeout = timeout
        self.retry = retry
        self._metadata: Tuple[Tuple[str, str], ...] = (("authorization", f"Bearer {token}"),) if token else ()
        opts = [
            ("grpc.max_send_message_length", max_message_size),
            ("grpc.max_receive_message_length", max_message_size),
            ("grpc.service_config", json.dumps({"loadBalancingConfig": [{lb_policy: {}}]})),
            *options,
        ]
        if server_name:
            opts.append(("grpc.ssl_target_name_override", server_name))
        if channel is None:
            secure = tls or root_certificates is not None or private_key is not None or certificate_chain is not None
            if secure:
                creds = grpc.ssl_channel_credentials(
                    root_certificates=_pem(root_certificates),
                    private_key=_pem(private_key),
                    certificate_chain=_pem(certificate_chain),
                )
                channel = grpc.secure_channel(target, creds, options=opts)
            else:
                channel = grpc.insecure_channel(target, options=opts)
        if interceptors:
            channel = grpc.intercept_channel(channel, *interceptors)
        self.channel = channel
        self._fsp = fsp_grpc.FspServiceStub(channel)
        # ComputeFsp and FspLoss with the request written and the response read by _wire (bytes both ways).
        self._compute_fsp_bytes = channel.unary_unary("/fspd.v1.FspService/ComputeFsp")
        self._fsp_loss_bytes = channel.unary_unary("/fspd.v1.FspService/FspLoss")
        # TeacherFsp's response read by _wire too (its request, small, through protobuf).
        self._teacher_fsp_bytes = channel.unary_unary("/fspd.v1.FspService/TeacherFsp", request_serializer=fsp_pb.TeacherFspRequest.SerializeToString)
        self._models = model_grpc.ModelServiceStub(channel)
        self._training = train_grpc.TrainingServiceStub(channel)

    # -- lifecycle ---------------------------------------------------------------------------------------

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Blocks until the channel connects; raises :class:`fspd.errors.Unavailable` after ``timeout`` s."""
        try:
            grpc.channel_ready_future(self.channel).result(timeout=timeout)
        except grpc.FutureTimeoutError:
            raise from_rpc_error(_Status(grpc.StatusCode.UNAVAILABLE, f"no connection to {self.address} within {timeout} s"), "wait_ready") from None

    # -- FspService --------------------------------------------------------------------------------------

    def compute_fsp(self, pairs: Sequence[Pair], *, layout: str = "NHWC", pooling: str = "max", timeout: Optional[float] = None) -> List[np.ndarray]:
        """The FSP matrix [B, C1, C2] (float32) of each (first, second) pair of maps in ``layout``."""
        data = _wire.compute_fsp_request_bytes(pairs, layout=layout, pooling=pooling)
        return _wire.read_compute_fsp_response(self._unary("ComputeFsp", self._compute_fsp_bytes, data, timeout))

    def fsp_loss(
        self,
        student: Sequence[Pair],
        teacher: Optional[Sequence[Pair]] = None,
        *,
        teacher_matrices: Optional[Sequence[ArrayLike]] = None,
        weights: Optional[Sequence[float]] = None,
        layout: str = "NHWC",
        teacher_layout: Optional[str] = None,
        reduction: str = "paper",
        pooling: str = "max",
        return_gradients: bool = True,
        return_teacher_matrices: bool = False,
        timeout: Optional[float] = None,
    ) -> FspLossResult:
        """The FSP loss of the student's (first, second) pairs against the teacher's pairs or the teacher's
        FSP matrices (exactly one), with dL/d(student maps) in the student's layout."""
        _one_teacher(teacher, teacher_matrices)
        # The request :meth:`fsp_loss_request` builds, written without a protobuf message (_wire.py).
        data = _wire.fsp_loss_request_bytes(
            student, teacher, teacher_matrices, weights=weights, layout=layout, teacher_layout=teacher_layout,
            reduction=reduction, pooling=pooling, return_gradients=return_gradients,
            return_teacher_matrices=return_teacher_matrices,
        )
        loss, pair_losses, gradients, matrices = _wire.read_fsp_loss_response(self._unary("FspLoss", self._fsp_loss_bytes, data, timeout))
        return FspLossResult(loss=loss, pair_losses=pair_losses, gradients=gradients, teacher_matrices=matrices)

    def fsp_loss_request(
        self,
        student: Sequence[Pair],
        teacher: Optional[Sequence[Pair]] = None,
        *,
        teacher_matrices: Optional[Sequence[ArrayLike]] = None,
        weights: Optional[Sequence[float]] = None,
        layout: str = "NHWC",
        teacher_layout: Optional[str] = None,
        reduction: str = "paper",
        pooling: str = "max",
        return_gradients: bool = True,
        return_teacher_matrices: bool = False,
        to_tensor: Callable[[ArrayLike], types_pb.Tensor] = _tensor.to_tensor,
    ) -> fsp_pb.FspLossRequest:
        """The FspLossRequest :meth:`fsp_loss` sends (to reuse or inspect). ``to_tensor`` makes each array's
        Tensor (:meth:`SharedMemory.put` puts them into shared memory instead)."""
        _one_teacher(teacher, teacher_matrices)
        req = fsp_pb.FspLossRequest(
            weights=list(weights or []),
            reduction=_tensor.reduction(reduction),
            pooling=_tensor.pooling(pooling),
            return_gradients=return_gradients,
            return_teacher_matrices=return_teacher_matrices,
        )
        _add_pairs(req.student, student, layout, to_tensor)
        if teacher is not None:
            _add_pairs(req.teacher, teacher, teacher_layout or layout, to_tensor)
        for m in teacher_matrices or []:
            _set_tensor(req.teacher_matrices.add(), m, to_tensor)
        return req

    def fsp_loss_raw(self, request: fsp_pb.FspLossRequest, *, timeout: Optional[float] = None) -> FspLossResult:
        """Sends a prepared FspLossRequest."""
        res = self._unary("FspLoss", self._fsp.FspLoss, request, timeout)
        return FspLossResult(
            loss=res.loss,
            pair_losses=list(res.pair_losses),
            gradients=[(_tensor.from_tensor(g.first), _tensor.from_tensor(g.second)) for g in res.student_gradients],
            teacher_matrices=[_tensor.from_tensor(m) for m in res.teacher_matrices],
        )

    def teacher_fsp(
        self,
        model_id: str,
        images: Optional[ArrayLike] = None,
        *,
        sample_ids: Optional[Sequence[str]] = None,
        pairs: Optional[Sequence[Tuple[int, int]]] = None,
        pooling: str = "max",
        dtype: str = "float32",
        timeout: Optional[float] = None,
    ) -> TeacherFspResult:
        """A server-held teacher's FSP matrices for ``images`` [B, H, W, C] (NHWC), cached per sample id.

        ``images=None`` with ``sample_ids``: ids only, answered from the server's cache; a sample it lacks
        raises :class:`fspd.errors.FailedPrecondition` (``.reason == "SAMPLES_NOT_CACHED"``): send the call again with
        the images. ``dtype``: the matrices on the wire, ``"float32"``, ``"float16"`` or ``"bfloat16"`` (the
        float32 matrices rounded to nearest even, half the bytes); they come back as float32 or float16
        arrays (bfloat16 widened exactly to float32: numpy has no bfloat16)."""
        request = self.teacher_fsp_request(model_id, images, sample_ids=sample_ids, pairs=pairs, pooling=pooling, dtype=dtype)
        matrices, cache_hits, fingerprint = self.teacher_fsp_parts(request, timeout=timeout)
        return TeacherFspResult(matrices=[_tensor.array_of(*m) for m in matrices], cache_hits=cache_hits, model_fingerprint=fingerprint)

    def teacher_fsp_request(
        self,
        model_id: str,
        images: Optional[ArrayLike] = None,
        *,
        sample_ids: Optional[Sequence[str]] = None,
        pairs: Optional[Sequence[Tuple[int, int]]] = None,
        pooling: str = "max",
        dtype: str = "float32",
    ) -> fsp_pb.TeacherFspRequest:
        """The TeacherFspRequest :meth:`teacher_fsp` sends (to reuse or inspect)."""
        if images is None and not sample_ids:
            raise ValueError("teacher_fsp: pass images, or sample_ids of samples the server has cached")
        req = fsp_pb.TeacherFspRequest(
            model_id=model_id,
            sample_ids=[str(s) for s in (sample_ids or [])],
            pairs=[types_pb.TapPair(first=a, second=b) for a, b in (pairs or [])],
            pooling=_tensor.pooling(pooling),
            matrices_dtype=_tensor.float_dtype(dtype),
        )
        if images is not None:
            _tensor.fill_tensor(req.images, images)
        return req

    def teacher_fsp_raw(self, request: fsp_pb.TeacherFspRequest, *, timeout: Optional[float] = None) -> fsp_pb.TeacherFspResponse:
        """Sends a prepared TeacherFspRequest; the response message as it came (matrices as Tensor messages)."""
        return self._unary("TeacherFsp", self._fsp.TeacherFsp, request, timeout)

    def teacher_fsp_parts(
        self, request: fsp_pb.TeacherFspRequest, *, timeout: Optional[float] = None
    ) -> Tuple[List[Tuple[int, List[int], memoryview]], int, str]:
        """Sends a prepared TeacherFspRequest; (matrices, cache_hits, model_fingerprint) with each matrix as its
        DataType, shape and a read-only view of its bytes in the received message: for one copy into the
        caller's array or tensor, where :meth:`teacher_fsp_raw`'s message costs three (``_wire.py``)."""
        return _wire.read_teacher_fsp_response(self._unary("TeacherFsp", self._teacher_fsp_bytes, request, timeout))

    # -- ModelService --------------------------------------------------------------------------------------

    def create_resnet(
        self,
        depth: int,
        *,
        width_multiplier: int = 1,
        num_classes: int = 10,
        input_shape: Optional[Sequence[int]] = None,
        seed: Optional[int] = None,
        model_id: str = "",
        timeout: Optional[float] = None,
    ) -> model_pb.Model:
        """Builds a built-in CIFAR ResNet (depth 6n+2) on the server; returns its description."""
        spec = model_pb.ResNetSpec(depth=depth, width_multiplier=width_multiplier, num_classes=num_classes, input_shape=list(input_shape or []))
        if seed is not None:
            spec.seed = seed
        res = self._unary("CreateModel", self._models.CreateModel, model_pb.CreateModelRequest(model_id=model_id, resnet=spec), timeout)
        return res.model

    def get_model(self, model_id: str, *, timeout: Optional[float] = None) -> model_pb.Model:
        return self._unary("GetModel", self._models.GetModel, model_pb.GetModelRequest(model_id=model_id), timeout).model

    def list_models(self, *, timeout: Optional[float] = None) -> List[model_pb.Model]:
        return list(self._unary("ListModels", self._models.ListModels, model_pb.ListModelsRequest(), timeout).models)

    def delete_model(self, model_id: str, *, timeout: Optional[float] = None) -> None:
        self._unary("DeleteModel", self._models.DeleteModel, model_pb.DeleteModelRequest(model_id=model_id), timeout)

    def upload_model(
        self,
        model_json: str,
        weights: bytes,
        *,
        model_id: str = "",
        taps: Sequence[str] = (),
        pairs: Sequence[Tuple[int, int]] = (),
        chunk_size: int = 1 << 20,
        timeout: Optional[float] = None,
    ) -> model_pb.Model:
        """Registers a tfjs LayersModel: its model.json text and its weight files concatenated in manifest order."""
        header = model_pb.UploadModelHeader(
            model_id=model_id, model_json=model_json, taps=list(taps),
            pairs=[types_pb.TapPair(first=a, second=b) for a, b in pairs], weights_size=len(weights),
        )

        def messages() -> Iterator[model_pb.UploadModelRequest]:
            yield model_pb.UploadModelRequest(header=header)
            for i in range(0, len(weights), chunk_size):
                yield model_pb.UploadModelRequest(weights_chunk=bytes(weights[i : i + chunk_size]))

        return self._unary("UploadModel", lambda _req, **kw: self._models.UploadModel(messages(), **kw), None, timeout).model

    def export_model(self, model_id: str, *, chunk_size: int = 0, timeout: Optional[float] = None) -> Tuple[model_pb.UploadModelHeader, bytes]:
        """A model's model.json header and weights (UploadModel's format)."""
        req = model_pb.ExportModelRequest(model_id=model_id, chunk_size=chunk_size)

        def call(request: Any, **kw: Any) -> Tuple[model_pb.UploadModelHeader, bytes]:
            header, chunks = None, []
            for msg in self._models.ExportModel(request, **kw):
                if msg.WhichOneof("part") == "header":
                    header = msg.header
                else:
                    chunks.append(msg.weights_chunk)
            if header is None:
                raise ValueError("ExportModel: the stream had no header")
            return header, b"".join(chunks)

        return self._unary("ExportModel", call, req, timeout)

    # -- TrainingService -----------------------------------------------------------------------------------

    def create_session(
        self,
        student_model_id: str,
        teacher_model_id: str = "",
        *,
        session_id: str = "",
        stage: Union[str, int, None] = None,
        spec: Optional[train_pb.SessionSpec] = None,
        timeout: Optional[float] = None,
        **spec_fields: Any,
    ) -> train_pb.Session:
        """Starts a training session. ``spec_fields`` are SessionSpec fields (``fsp_schedule=...``,
        ``optimizer=...``, ``seed=...``, ``cache_teacher_fsp=...``, ``reduction="mean"``)."""
        s = train_pb.SessionSpec()
        if spec is not None:
            s.CopyFrom(spec)
        s.student_model_id = student_model_id
        s.teacher_model_id = teacher_model_id
        for k in ("reduction", "pooling"):
            if k in spec_fields:
                spec_fields[k] = getattr(_tensor, k)(spec_fields[k])
        for k, v in spec_fields.items():
            if isinstance(v, (list, tuple)):
                getattr(s, k).extend(v)
            elif hasattr(v, "DESCRIPTOR"):
                getattr(s, k).CopyFrom(v)
            else:
                setattr(s, k, v)
        req = train_pb.CreateSessionRequest(session_id=session_id, spec=s, stage=stage_of(stage))
        return self._unary("CreateSession", self._training.CreateSession, req, timeout).session

    def get_session(self, session_id: str, *, timeout: Optional[float] = None) -> train_pb.Session:
        return self._unary("GetSession", self._training.GetSession, train_pb.GetSessionRequest(session_id=session_id), timeout).session

    def list_sessions(self, *, timeout: Optional[float] = None) -> List[train_pb.Session]:
        return list(self._unary("ListSessions", self._training.ListSessions, train_pb.ListSessionsRequest(), timeout).sessions)

    def delete_session(self, session_id: str, *, timeout: Optional[float] = None) -> None:
        self._unary("DeleteSession", self._training.DeleteSession, train_pb.DeleteSessionRequest(session_id=session_id), timeout)

    def train_step(
        self,
        session_id: str,
        images: ArrayLike,
        labels: Optional[ArrayLike] = None,
        *,
        sample_ids: Optional[Sequence[str]] = None,
        timeout: Optional[float] = None,
    ) -> train_pb.StepResult:
        """One optimisation step on a batch: images [B, H, W, C] (NHWC), labels [B] (class ids)."""
        req = train_pb.TrainStepRequest(session_id=session_id)
        batch_of(images, labels, sample_ids, into=req.batch)
        return self._unary("TrainStep", self._training.TrainStep, req, timeout).result

    def train(
        self,
        session_id: str,
        batches: Iterable[Union[train_pb.Batch, Tuple[Any, ...]]],
        *,
        timeout: Optional[float] = None,
    ) -> Iterator[train_pb.StepResult]:
        """Streams batches ((images, labels) or (images, labels, sample_ids) tuples, or Batch messages) and
        yields each step's result as it comes. Not retried."""

        def requests() -> Iterator[train_pb.TrainRequest]:
            first = True
            for b in batches:
                req = train_pb.TrainRequest(session_id=session_id if first else "")
                if isinstance(b, train_pb.Batch):
                    req.batch.CopyFrom(b)
                else:
                    batch_of(*b, into=req.batch)
                yield req
                first = False

        call = self._training.Train(requests(), timeout=self._deadline(timeout), metadata=self._metadata)
        yield from self._stream("Train", call, lambda r: r.result)

    def run(
        self,
        session_id: str,
        dataset: Union[str, train_pb.DatasetSpec] = "mnist",
        *,
        steps: int = 0,
        batch_size: int = 0,
        progress_every: int = 0,
        evaluate_every: int = 0,
        evaluate_dataset: Union[str, train_pb.DatasetSpec, None] = None,
        checkpoint_every: int = 0,
        timeout: Optional[float] = None,
    ) -> Iterator[Union[train_pb.RunProgress, train_pb.Evaluation, train_pb.Checkpoint]]:
        """Starts the server's loop over one of its datasets; yields RunProgress, Evaluation and Checkpoint
        messages as they come. ``timeout`` defaults to none here (a Run is long). Not retried."""
        req = train_pb.RunRequest(
            session_id=session_id, dataset=dataset_of(dataset), batch_size=batch_size, steps=steps,
            progress_every=progress_every, evaluate_every=evaluate_every, checkpoint_every=checkpoint_every,
        )
        if evaluate_dataset is not None:
            req.evaluate_dataset.CopyFrom(dataset_of(evaluate_dataset))
        call = self._training.Run(req, timeout=timeout, metadata=self._metadata)
        yield from self._stream("Run", call, lambda r: getattr(r, r.WhichOneof("event")))

    def evaluate(
        self,
        *,
        session_id: str = "",
        model_id: str = "",
        dataset: Union[str, train_pb.DatasetSpec, None] = None,
        images: Optional[ArrayLike] = None,
        labels: Optional[ArrayLike] = None,
        batch_size: int = 0,
        timeout: Optional[float] = None,
    ) -> train_pb.Evaluation:
        """Accuracy and losses of a session's student or a model, on a server dataset or a client batch."""
        if bool(session_id) == bool(model_id):
            raise ValueError("evaluate: pass exactly one of session_id and model_id")
        if (dataset is None) == (images is None):
            raise ValueError("evaluate: pass exactly one of dataset and images (+ labels)")
        req = train_pb.EvaluateRequest(batch_size=batch_size)
        if session_id:
            req.session_id = session_id
        else:
            req.model_id = model_id
        if dataset is not None:
            req.dataset.CopyFrom(dataset_of(dataset, split="test"))
        else:
            req.batch.CopyFrom(batch_of(images, labels))
        return self._unary("Evaluate", self._training.Evaluate, req, timeout).evaluation

    def set_stage(self, session_id: str, stage: Union[str, int], *, stage_step: int = 0, timeout: Optional[float] = None) -> train_pb.Session:
        """Moves a session to stage 'fsp' or 'cross_entropy' (resets the optimiser)."""
        req = train_pb.SetStageRequest(session_id=session_id, stage=stage_of(stage), stage_step=stage_step)
        return self._unary("SetStage", self._training.SetStage, req, timeout).session

    def save_checkpoint(self, session_id: str, checkpoint_id: str = "", *, timeout: Optional[float] = None) -> train_pb.Checkpoint:
        req = train_pb.SaveCheckpointRequest(session_id=session_id, checkpoint_id=checkpoint_id)
        return self._unary("SaveCheckpoint", self._training.SaveCheckpoint, req, timeout).checkpoint

    def restore_checkpoint(self, session_id: str, checkpoint_id: str = "", *, timeout: Optional[float] = None) -> train_pb.Session:
        req = train_pb.RestoreCheckpointRequest(session_id=session_id, checkpoint_id=checkpoint_id)
        return self._unary("RestoreCheckpoint", self._training.RestoreCheckpoint, req, timeout).session

    # -- plumbing ------------------------------------------------------------------------------------------

    def _deadline(self, timeout: Optional[float]) -> Optional[float]:
        return self.timeout if timeout is None else timeout

    def _unary(self, method: str, fn: Callable[..., T], request: Any, timeout: Optional[float]) -> T:
        budget = self._deadline(timeout)
        end = None if budget is None else time.monotonic() + budget
        retry = self.retry or Retry(attempts=1)
        delay = retry.initial
        for attempt in range(1, max(1, retry.attempts) + 1):
            left = None if end is None else end - time.monotonic()
            try:
                if left is not None and left <= 0:
                    raise _Status(grpc.StatusCode.DEADLINE_EXCEEDED, f"deadline of {budget} s passed while retrying")
                return fn(request, timeout=left, metadata=self._metadata)
            except grpc.RpcError as err:
                error = from_rpc_error(err, method)
                pause = min(delay, retry.maximum) * random.uniform(0.5, 1.5)
                if error.retry_delay is not None:
                    pause = max(pause, error.retry_delay)  # the server's RetryInfo: no sooner than it says
                last = attempt >= retry.attempts or (end is not None and time.monotonic() + pause >= end)
                if not _retryable(method, error) or last:
                    raise error from None
                time.sleep(pause)
                delay *= retry.multiplier
        raise AssertionError("unreachable")

    def _stream(self, method: str, call: Any, pick: Callable[[Any], T]) -> Iterator[T]:
        try:
            for msg in call:
                yield pick(msg)
        except grpc.RpcError as err:
            raise from_rpc_error(err, method) from None
        finally:
            call.cancel()  # a no-op once the stream ended; stops the server's work when the caller breaks off


def _retryable(method: str, err: FspdError) -> bool:
    if err.code != grpc.StatusCode.UNAVAILABLE:
        return False
    if method in IDEMPOTENT or err.reason in _NOT_RUN_REASONS:
        return True
    return err.domain == "" and any(s in err.details for s in _NOT_CONNECTED)


def _target(addresses: List[str]) -> str:
    """The gRPC target of one address (as given) or of several ``ip:port`` replicas (an ``ipv4:``/``ipv6:``
    address list, the static form grpcio's resolvers take)."""
    if not addresses:
        raise ValueError("address: expected an address or a list of addresses, got an empty list")
    if len(addresses) == 1:
        return addresses[0]
    versions = set()
    for i, a in enumerate(addresses):
        host, _, port = a.rpartition(":")
        try:
            versions.add(ipaddress.ip_address(host.strip("[]")).version)
        except ValueError:
            raise ValueError(f"address[{i}]: {a!r} is not ip:port; several replicas are given as IP addresses "
                             "(all IPv4 or all IPv6), or as one 'dns:///name:port' target") from None
        if not port.isdigit():
            raise ValueError(f"address[{i}]: {a!r} has no port")
    if len(versions) > 1:
        raise ValueError("address: several replicas must be all IPv4 or all IPv6 (one gRPC address list)")
    return f"ipv{versions.pop()}:" + ",".join(addresses)


class _Status(grpc.RpcError):
    """A client-side status, shaped like a grpc.Call for from_rpc_error."""

    def __init__(self, code: grpc.StatusCode, details: str):
        super().__init__(details)
        self._code, self._details = code, details

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details


def _pem(value: Union[bytes, str, None]) -> Optional[bytes]:
    if value is None or isinstance(value, bytes):
        return value
    with open(value, "rb") as f:
        return f.read()


def _one_teacher(teacher: Any, teacher_matrices: Any) -> None:
    if (teacher is None) == (teacher_matrices is None):
        raise ValueError("fsp_loss: pass exactly one of teacher (feature pairs) and teacher_matrices")


def _add_pairs(field: Any, pairs: Optional[Sequence[Pair]], layout: str, tensor: Callable[[ArrayLike], types_pb.Tensor] = _tensor.to_tensor) -> None:
    """Appends ``pairs`` to the repeated FeaturePair ``field`` of the request being built, in place (see
    :func:`_tensor.fill_tensor`)."""
    lay = _tensor.layout(layout)
    for i, p in enumerate(pairs or []):
        if isinstance(p, types_pb.FeaturePair):
            field.add().CopyFrom(p)
            continue
        if len(p) != 2:
            raise ValueError(f"pairs[{i}]: expected (first, second) feature maps, got {len(p)} items")
        pair = field.add()
        pair.layout = lay
        _set_tensor(pair.first, p[0], tensor)
        _set_tensor(pair.second, p[1], tensor)


def _set_tensor(dst: types_pb.Tensor, array: ArrayLike, tensor: Callable[[ArrayLike], types_pb.Tensor]) -> None:
    """``dst`` = tensor(array): the bytes filled in place for the default :func:`_tensor.to_tensor`; any other
    maker's Tensor (e.g. SharedMemory.put's reference, a few bytes) copied in."""
    if tensor is _tensor.to_tensor:
        _tensor.fill_tensor(dst, array)
    else:
        dst.CopyFrom(tensor(array))


def stage_of(stage: Union[str, int, None]) -> int:
    """'fsp' | 'cross_entropy' (or 'ce', or the enum number) → Stage."""
    return _tensor._enum("stage", stage, "STAGE_", {"FSP": train_pb.STAGE_FSP, "CROSS_ENTROPY": train_pb.STAGE_CROSS_ENTROPY, "CE": train_pb.STAGE_CROSS_ENTROPY})


def dataset_of(dataset: Union[str, train_pb.DatasetSpec], *, split: Optional[str] = None, **fields: Any) -> train_pb.DatasetSpec:
    """'mnist' | 'cifar10:<path>' | 'cifar100:<path>' (or a DatasetSpec) → DatasetSpec."""
    if isinstance(dataset, train_pb.DatasetSpec):
        return dataset
    name, _, path = dataset.partition(":")
    spec = train_pb.DatasetSpec(
        name=_tensor._enum("dataset", name, "DATASET_NAME_", {"MNIST": train_pb.DATASET_NAME_MNIST, "CIFAR10": train_pb.DATASET_NAME_CIFAR10, "CIFAR100": train_pb.DATASET_NAME_CIFAR100}),
        path=path,
        split=_tensor._enum("split", split, "SPLIT_", {"TRAIN": train_pb.SPLIT_TRAIN, "TEST": train_pb.SPLIT_TEST}),
    )
    for k, v in fields.items():
        setattr(spec, k, v)
    return spec


def batch_of(
    images: ArrayLike, labels: Optional[ArrayLike] = None, sample_ids: Optional[Sequence[str]] = None, *, into: Optional[train_pb.Batch] = None,
) -> train_pb.Batch:
    """A Batch from NHWC images, class ids and sample ids; filled into ``into`` (e.g. a request's batch
    field, which spares a copy of the images) when given."""
    b = train_pb.Batch() if into is None else into
    _tensor.fill_tensor(b.images, images)
    b.sample_ids[:] = [str(s) for s in (sample_ids or [])]
    if labels is not None:
        lab = np.asarray(labels)
        _tensor.fill_tensor(b.labels, lab if lab.dtype == np.uint8 else lab.astype(np.int32))
    return b
