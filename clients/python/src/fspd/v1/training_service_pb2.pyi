import datetime

from fspd.v1 import types_pb2 as _types_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Stage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STAGE_UNSPECIFIED: _ClassVar[Stage]
    STAGE_FSP: _ClassVar[Stage]
    STAGE_CROSS_ENTROPY: _ClassVar[Stage]

class SessionState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SESSION_STATE_UNSPECIFIED: _ClassVar[SessionState]
    SESSION_STATE_IDLE: _ClassVar[SessionState]
    SESSION_STATE_TRAINING: _ClassVar[SessionState]

class OptimizerKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OPTIMIZER_KIND_UNSPECIFIED: _ClassVar[OptimizerKind]
    OPTIMIZER_KIND_SGD: _ClassVar[OptimizerKind]
    OPTIMIZER_KIND_ADAM: _ClassVar[OptimizerKind]

class DatasetName(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DATASET_NAME_UNSPECIFIED: _ClassVar[DatasetName]
    DATASET_NAME_MNIST: _ClassVar[DatasetName]
    DATASET_NAME_CIFAR10: _ClassVar[DatasetName]
    DATASET_NAME_CIFAR100: _ClassVar[DatasetName]

class Split(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SPLIT_UNSPECIFIED: _ClassVar[Split]
    SPLIT_TRAIN: _ClassVar[Split]
    SPLIT_TEST: _ClassVar[Split]
STAGE_UNSPECIFIED: Stage
STAGE_FSP: Stage
STAGE_CROSS_ENTROPY: Stage
SESSION_STATE_UNSPECIFIED: SessionState
SESSION_STATE_IDLE: SessionState
SESSION_STATE_TRAINING: SessionState
OPTIMIZER_KIND_UNSPECIFIED: OptimizerKind
OPTIMIZER_KIND_SGD: OptimizerKind
OPTIMIZER_KIND_ADAM: OptimizerKind
DATASET_NAME_UNSPECIFIED: DatasetName
DATASET_NAME_MNIST: DatasetName
DATASET_NAME_CIFAR10: DatasetName
DATASET_NAME_CIFAR100: DatasetName
SPLIT_UNSPECIFIED: Split
SPLIT_TRAIN: Split
SPLIT_TEST: Split

class Optimizer(_message.Message):
    __slots__ = ("kind", "momentum", "weight_decay")
    KIND_FIELD_NUMBER: _ClassVar[int]
    MOMENTUM_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_DECAY_FIELD_NUMBER: _ClassVar[int]
    kind: OptimizerKind
    momentum: float
    weight_decay: float
    def __init__(self, kind: _Optional[_Union[OptimizerKind, str]] = ..., momentum: _Optional[float] = ..., weight_decay: _Optional[float] = ...) -> None: ...

class Schedule(_message.Message):
    __slots__ = ("learning_rates", "until_steps")
    LEARNING_RATES_FIELD_NUMBER: _ClassVar[int]
    UNTIL_STEPS_FIELD_NUMBER: _ClassVar[int]
    learning_rates: _containers.RepeatedScalarFieldContainer[float]
    until_steps: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, learning_rates: _Optional[_Iterable[float]] = ..., until_steps: _Optional[_Iterable[int]] = ...) -> None: ...

class SessionPair(_message.Message):
    __slots__ = ("student", "teacher")
    STUDENT_FIELD_NUMBER: _ClassVar[int]
    TEACHER_FIELD_NUMBER: _ClassVar[int]
    student: _types_pb2.TapPair
    teacher: _types_pb2.TapPair
    def __init__(self, student: _Optional[_Union[_types_pb2.TapPair, _Mapping]] = ..., teacher: _Optional[_Union[_types_pb2.TapPair, _Mapping]] = ...) -> None: ...

class SessionSpec(_message.Message):
    __slots__ = ("student_model_id", "teacher_model_id", "pairs", "weights", "reduction", "pooling", "optimizer", "fsp_schedule", "cross_entropy_schedule", "cache_teacher_fsp", "seed", "distillation", "tensorboard")
    STUDENT_MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    TEACHER_MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    PAIRS_FIELD_NUMBER: _ClassVar[int]
    WEIGHTS_FIELD_NUMBER: _ClassVar[int]
    REDUCTION_FIELD_NUMBER: _ClassVar[int]
    POOLING_FIELD_NUMBER: _ClassVar[int]
    OPTIMIZER_FIELD_NUMBER: _ClassVar[int]
    FSP_SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    CROSS_ENTROPY_SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    CACHE_TEACHER_FSP_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    DISTILLATION_FIELD_NUMBER: _ClassVar[int]
    TENSORBOARD_FIELD_NUMBER: _ClassVar[int]
    student_model_id: str
    teacher_model_id: str
    pairs: _containers.RepeatedCompositeFieldContainer[SessionPair]
    weights: _containers.RepeatedScalarFieldContainer[float]
    reduction: _types_pb2.Reduction
    pooling: _types_pb2.Pooling
    optimizer: Optimizer
    fsp_schedule: Schedule
    cross_entropy_schedule: Schedule
    cache_teacher_fsp: bool
    seed: int
    distillation: Distillation
    tensorboard: bool
    def __init__(self, student_model_id: _Optional[str] = ..., teacher_model_id: _Optional[str] = ..., pairs: _Optional[_Iterable[_Union[SessionPair, _Mapping]]] = ..., weights: _Optional[_Iterable[float]] = ..., reduction: _Optional[_Union[_types_pb2.Reduction, str]] = ..., pooling: _Optional[_Union[_types_pb2.Pooling, str]] = ..., optimizer: _Optional[_Union[Optimizer, _Mapping]] = ..., fsp_schedule: _Optional[_Union[Schedule, _Mapping]] = ..., cross_entropy_schedule: _Optional[_Union[Schedule, _Mapping]] = ..., cache_teacher_fsp: _Optional[bool] = ..., seed: _Optional[int] = ..., distillation: _Optional[_Union[Distillation, _Mapping]] = ..., tensorboard: _Optional[bool] = ...) -> None: ...

class Distillation(_message.Message):
    __slots__ = ("temperature", "alpha")
    TEMPERATURE_FIELD_NUMBER: _ClassVar[int]
    ALPHA_FIELD_NUMBER: _ClassVar[int]
    temperature: float
    alpha: float
    def __init__(self, temperature: _Optional[float] = ..., alpha: _Optional[float] = ...) -> None: ...

class CacheStats(_message.Message):
    __slots__ = ("hits", "misses", "entries", "size_bytes")
    HITS_FIELD_NUMBER: _ClassVar[int]
    MISSES_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    hits: int
    misses: int
    entries: int
    size_bytes: int
    def __init__(self, hits: _Optional[int] = ..., misses: _Optional[int] = ..., entries: _Optional[int] = ..., size_bytes: _Optional[int] = ...) -> None: ...

class Checkpoint(_message.Message):
    __slots__ = ("checkpoint_id", "step", "stage", "stage_step", "create_time", "size_bytes")
    CHECKPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    STAGE_STEP_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    checkpoint_id: str
    step: int
    stage: Stage
    stage_step: int
    create_time: _timestamp_pb2.Timestamp
    size_bytes: int
    def __init__(self, checkpoint_id: _Optional[str] = ..., step: _Optional[int] = ..., stage: _Optional[_Union[Stage, str]] = ..., stage_step: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., size_bytes: _Optional[int] = ...) -> None: ...

class StepResult(_message.Message):
    __slots__ = ("step", "stage", "stage_step", "loss", "pair_losses", "accuracy", "learning_rate", "cache_hits", "seconds")
    STEP_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    STAGE_STEP_FIELD_NUMBER: _ClassVar[int]
    LOSS_FIELD_NUMBER: _ClassVar[int]
    PAIR_LOSSES_FIELD_NUMBER: _ClassVar[int]
    ACCURACY_FIELD_NUMBER: _ClassVar[int]
    LEARNING_RATE_FIELD_NUMBER: _ClassVar[int]
    CACHE_HITS_FIELD_NUMBER: _ClassVar[int]
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    step: int
    stage: Stage
    stage_step: int
    loss: float
    pair_losses: _containers.RepeatedScalarFieldContainer[float]
    accuracy: float
    learning_rate: float
    cache_hits: int
    seconds: float
    def __init__(self, step: _Optional[int] = ..., stage: _Optional[_Union[Stage, str]] = ..., stage_step: _Optional[int] = ..., loss: _Optional[float] = ..., pair_losses: _Optional[_Iterable[float]] = ..., accuracy: _Optional[float] = ..., learning_rate: _Optional[float] = ..., cache_hits: _Optional[int] = ..., seconds: _Optional[float] = ...) -> None: ...

class Session(_message.Message):
    __slots__ = ("session_id", "spec", "stage", "step", "stage_step", "learning_rate", "state", "last_step", "teacher_cache", "checkpoints", "create_time")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    STAGE_STEP_FIELD_NUMBER: _ClassVar[int]
    LEARNING_RATE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LAST_STEP_FIELD_NUMBER: _ClassVar[int]
    TEACHER_CACHE_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINTS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    spec: SessionSpec
    stage: Stage
    step: int
    stage_step: int
    learning_rate: float
    state: SessionState
    last_step: StepResult
    teacher_cache: CacheStats
    checkpoints: _containers.RepeatedCompositeFieldContainer[Checkpoint]
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, session_id: _Optional[str] = ..., spec: _Optional[_Union[SessionSpec, _Mapping]] = ..., stage: _Optional[_Union[Stage, str]] = ..., step: _Optional[int] = ..., stage_step: _Optional[int] = ..., learning_rate: _Optional[float] = ..., state: _Optional[_Union[SessionState, str]] = ..., last_step: _Optional[_Union[StepResult, _Mapping]] = ..., teacher_cache: _Optional[_Union[CacheStats, _Mapping]] = ..., checkpoints: _Optional[_Iterable[_Union[Checkpoint, _Mapping]]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Batch(_message.Message):
    __slots__ = ("images", "labels", "sample_ids")
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_IDS_FIELD_NUMBER: _ClassVar[int]
    images: _types_pb2.Tensor
    labels: _types_pb2.Tensor
    sample_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, images: _Optional[_Union[_types_pb2.Tensor, _Mapping]] = ..., labels: _Optional[_Union[_types_pb2.Tensor, _Mapping]] = ..., sample_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class DatasetSpec(_message.Message):
    __slots__ = ("name", "path", "split", "limit", "augment", "coarse_labels")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    SPLIT_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    AUGMENT_FIELD_NUMBER: _ClassVar[int]
    COARSE_LABELS_FIELD_NUMBER: _ClassVar[int]
    name: DatasetName
    path: str
    split: Split
    limit: int
    augment: bool
    coarse_labels: bool
    def __init__(self, name: _Optional[_Union[DatasetName, str]] = ..., path: _Optional[str] = ..., split: _Optional[_Union[Split, str]] = ..., limit: _Optional[int] = ..., augment: _Optional[bool] = ..., coarse_labels: _Optional[bool] = ...) -> None: ...

class CreateSessionRequest(_message.Message):
    __slots__ = ("session_id", "spec", "stage")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    spec: SessionSpec
    stage: Stage
    def __init__(self, session_id: _Optional[str] = ..., spec: _Optional[_Union[SessionSpec, _Mapping]] = ..., stage: _Optional[_Union[Stage, str]] = ...) -> None: ...

class CreateSessionResponse(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: Session
    def __init__(self, session: _Optional[_Union[Session, _Mapping]] = ...) -> None: ...

class GetSessionRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class GetSessionResponse(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: Session
    def __init__(self, session: _Optional[_Union[Session, _Mapping]] = ...) -> None: ...

class ListSessionsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListSessionsResponse(_message.Message):
    __slots__ = ("sessions",)
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    sessions: _containers.RepeatedCompositeFieldContainer[Session]
    def __init__(self, sessions: _Optional[_Iterable[_Union[Session, _Mapping]]] = ...) -> None: ...

class DeleteSessionRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class DeleteSessionResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class TrainStepRequest(_message.Message):
    __slots__ = ("session_id", "batch")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    batch: Batch
    def __init__(self, session_id: _Optional[str] = ..., batch: _Optional[_Union[Batch, _Mapping]] = ...) -> None: ...

class TrainStepResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: StepResult
    def __init__(self, result: _Optional[_Union[StepResult, _Mapping]] = ...) -> None: ...

class TrainRequest(_message.Message):
    __slots__ = ("session_id", "batch")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    batch: Batch
    def __init__(self, session_id: _Optional[str] = ..., batch: _Optional[_Union[Batch, _Mapping]] = ...) -> None: ...

class TrainResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: StepResult
    def __init__(self, result: _Optional[_Union[StepResult, _Mapping]] = ...) -> None: ...

class RunRequest(_message.Message):
    __slots__ = ("session_id", "dataset", "batch_size", "steps", "progress_every", "evaluate_every", "evaluate_dataset", "checkpoint_every")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_EVERY_FIELD_NUMBER: _ClassVar[int]
    EVALUATE_EVERY_FIELD_NUMBER: _ClassVar[int]
    EVALUATE_DATASET_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_EVERY_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    dataset: DatasetSpec
    batch_size: int
    steps: int
    progress_every: int
    evaluate_every: int
    evaluate_dataset: DatasetSpec
    checkpoint_every: int
    def __init__(self, session_id: _Optional[str] = ..., dataset: _Optional[_Union[DatasetSpec, _Mapping]] = ..., batch_size: _Optional[int] = ..., steps: _Optional[int] = ..., progress_every: _Optional[int] = ..., evaluate_every: _Optional[int] = ..., evaluate_dataset: _Optional[_Union[DatasetSpec, _Mapping]] = ..., checkpoint_every: _Optional[int] = ...) -> None: ...

class RunProgress(_message.Message):
    __slots__ = ("last_step", "steps_done", "steps_total", "epoch", "mean_loss", "mean_accuracy", "samples_per_second")
    LAST_STEP_FIELD_NUMBER: _ClassVar[int]
    STEPS_DONE_FIELD_NUMBER: _ClassVar[int]
    STEPS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    MEAN_LOSS_FIELD_NUMBER: _ClassVar[int]
    MEAN_ACCURACY_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    last_step: StepResult
    steps_done: int
    steps_total: int
    epoch: int
    mean_loss: float
    mean_accuracy: float
    samples_per_second: float
    def __init__(self, last_step: _Optional[_Union[StepResult, _Mapping]] = ..., steps_done: _Optional[int] = ..., steps_total: _Optional[int] = ..., epoch: _Optional[int] = ..., mean_loss: _Optional[float] = ..., mean_accuracy: _Optional[float] = ..., samples_per_second: _Optional[float] = ...) -> None: ...

class Evaluation(_message.Message):
    __slots__ = ("step", "stage", "samples", "accuracy", "cross_entropy", "fsp_loss")
    STEP_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    ACCURACY_FIELD_NUMBER: _ClassVar[int]
    CROSS_ENTROPY_FIELD_NUMBER: _ClassVar[int]
    FSP_LOSS_FIELD_NUMBER: _ClassVar[int]
    step: int
    stage: Stage
    samples: int
    accuracy: float
    cross_entropy: float
    fsp_loss: float
    def __init__(self, step: _Optional[int] = ..., stage: _Optional[_Union[Stage, str]] = ..., samples: _Optional[int] = ..., accuracy: _Optional[float] = ..., cross_entropy: _Optional[float] = ..., fsp_loss: _Optional[float] = ...) -> None: ...

class RunResponse(_message.Message):
    __slots__ = ("progress", "evaluation", "checkpoint")
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    EVALUATION_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    progress: RunProgress
    evaluation: Evaluation
    checkpoint: Checkpoint
    def __init__(self, progress: _Optional[_Union[RunProgress, _Mapping]] = ..., evaluation: _Optional[_Union[Evaluation, _Mapping]] = ..., checkpoint: _Optional[_Union[Checkpoint, _Mapping]] = ...) -> None: ...

class EvaluateRequest(_message.Message):
    __slots__ = ("session_id", "model_id", "dataset", "batch", "batch_size")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    model_id: str
    dataset: DatasetSpec
    batch: Batch
    batch_size: int
    def __init__(self, session_id: _Optional[str] = ..., model_id: _Optional[str] = ..., dataset: _Optional[_Union[DatasetSpec, _Mapping]] = ..., batch: _Optional[_Union[Batch, _Mapping]] = ..., batch_size: _Optional[int] = ...) -> None: ...

class EvaluateResponse(_message.Message):
    __slots__ = ("evaluation",)
    EVALUATION_FIELD_NUMBER: _ClassVar[int]
    evaluation: Evaluation
    def __init__(self, evaluation: _Optional[_Union[Evaluation, _Mapping]] = ...) -> None: ...

class SetStageRequest(_message.Message):
    __slots__ = ("session_id", "stage", "stage_step")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    STAGE_STEP_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    stage: Stage
    stage_step: int
    def __init__(self, session_id: _Optional[str] = ..., stage: _Optional[_Union[Stage, str]] = ..., stage_step: _Optional[int] = ...) -> None: ...

class SetStageResponse(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: Session
    def __init__(self, session: _Optional[_Union[Session, _Mapping]] = ...) -> None: ...

class SaveCheckpointRequest(_message.Message):
    __slots__ = ("session_id", "checkpoint_id")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    checkpoint_id: str
    def __init__(self, session_id: _Optional[str] = ..., checkpoint_id: _Optional[str] = ...) -> None: ...

class SaveCheckpointResponse(_message.Message):
    __slots__ = ("checkpoint",)
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    checkpoint: Checkpoint
    def __init__(self, checkpoint: _Optional[_Union[Checkpoint, _Mapping]] = ...) -> None: ...

class RestoreCheckpointRequest(_message.Message):
    __slots__ = ("session_id", "checkpoint_id")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    checkpoint_id: str
    def __init__(self, session_id: _Optional[str] = ..., checkpoint_id: _Optional[str] = ...) -> None: ...

class RestoreCheckpointResponse(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: Session
    def __init__(self, session: _Optional[_Union[Session, _Mapping]] = ...) -> None: ...
