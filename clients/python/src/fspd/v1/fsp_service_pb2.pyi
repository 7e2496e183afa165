from fspd.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ComputeFspRequest(_message.Message):
    __slots__ = ("pairs", "pooling")
    PAIRS_FIELD_NUMBER: _ClassVar[int]
    POOLING_FIELD_NUMBER: _ClassVar[int]
    pairs: _containers.RepeatedCompositeFieldContainer[_types_pb2.FeaturePair]
    pooling: _types_pb2.Pooling
    def __init__(self, pairs: _Optional[_Iterable[_Union[_types_pb2.FeaturePair, _Mapping]]] = ..., pooling: _Optional[_Union[_types_pb2.Pooling, str]] = ...) -> None: ...

class ComputeFspResponse(_message.Message):
    __slots__ = ("matrices",)
    MATRICES_FIELD_NUMBER: _ClassVar[int]
    matrices: _containers.RepeatedCompositeFieldContainer[_types_pb2.Tensor]
    def __init__(self, matrices: _Optional[_Iterable[_Union[_types_pb2.Tensor, _Mapping]]] = ...) -> None: ...

class FspLossRequest(_message.Message):
    __slots__ = ("student", "teacher", "teacher_matrices", "weights", "reduction", "pooling", "return_gradients", "return_teacher_matrices", "gradients_to")
    STUDENT_FIELD_NUMBER: _ClassVar[int]
    TEACHER_FIELD_NUMBER: _ClassVar[int]
    TEACHER_MATRICES_FIELD_NUMBER: _ClassVar[int]
    WEIGHTS_FIELD_NUMBER: _ClassVar[int]
    REDUCTION_FIELD_NUMBER: _ClassVar[int]
    POOLING_FIELD_NUMBER: _ClassVar[int]
    RETURN_GRADIENTS_FIELD_NUMBER: _ClassVar[int]
    RETURN_TEACHER_MATRICES_FIELD_NUMBER: _ClassVar[int]
    GRADIENTS_TO_FIELD_NUMBER: _ClassVar[int]
    student: _containers.RepeatedCompositeFieldContainer[_types_pb2.FeaturePair]
    teacher: _containers.RepeatedCompositeFieldContainer[_types_pb2.FeaturePair]
    teacher_matrices: _containers.RepeatedCompositeFieldContainer[_types_pb2.Tensor]
    weights: _containers.RepeatedScalarFieldContainer[float]
    reduction: _types_pb2.Reduction
    pooling: _types_pb2.Pooling
    return_gradients: bool
    return_teacher_matrices: bool
    gradients_to: _types_pb2.SharedMemoryRef
    def __init__(self, student: _Optional[_Iterable[_Union[_types_pb2.FeaturePair, _Mapping]]] = ..., teacher: _Optional[_Iterable[_Union[_types_pb2.FeaturePair, _Mapping]]] = ..., teacher_matrices: _Optional[_Iterable[_Union[_types_pb2.Tensor, _Mapping]]] = ..., weights: _Optional[_Iterable[float]] = ..., reduction: _Optional[_Union[_types_pb2.Reduction, str]] = ..., pooling: _Optional[_Union[_types_pb2.Pooling, str]] = ..., return_gradients: _Optional[bool] = ..., return_teacher_matrices: _Optional[bool] = ..., gradients_to: _Optional[_Union[_types_pb2.SharedMemoryRef, _Mapping]] = ...) -> None: ...

class FspLossResponse(_message.Message):
    __slots__ = ("loss", "pair_losses", "student_gradients", "teacher_matrices")
    LOSS_FIELD_NUMBER: _ClassVar[int]
    PAIR_LOSSES_FIELD_NUMBER: _ClassVar[int]
    STUDENT_GRADIENTS_FIELD_NUMBER: _ClassVar[int]
    TEACHER_MATRICES_FIELD_NUMBER: _ClassVar[int]
    loss: float
    pair_losses: _containers.RepeatedScalarFieldContainer[float]
    student_gradients: _containers.RepeatedCompositeFieldContainer[_types_pb2.FeaturePair]
    teacher_matrices: _containers.RepeatedCompositeFieldContainer[_types_pb2.Tensor]
    def __init__(self, loss: _Optional[float] = ..., pair_losses: _Optional[_Iterable[float]] = ..., student_gradients: _Optional[_Iterable[_Union[_types_pb2.FeaturePair, _Mapping]]] = ..., teacher_matrices: _Optional[_Iterable[_Union[_types_pb2.Tensor, _Mapping]]] = ...) -> None: ...

class TeacherFspRequest(_message.Message):
    __slots__ = ("model_id", "images", "sample_ids", "pairs", "pooling", "matrices_dtype", "matrices_to")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_IDS_FIELD_NUMBER: _ClassVar[int]
    PAIRS_FIELD_NUMBER: _ClassVar[int]
    POOLING_FIELD_NUMBER: _ClassVar[int]
    MATRICES_DTYPE_FIELD_NUMBER: _ClassVar[int]
    MATRICES_TO_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    images: _types_pb2.Tensor
    sample_ids: _containers.RepeatedScalarFieldContainer[str]
    pairs: _containers.RepeatedCompositeFieldContainer[_types_pb2.TapPair]
    pooling: _types_pb2.Pooling
    matrices_dtype: _types_pb2.DataType
    matrices_to: _types_pb2.SharedMemoryRef
    def __init__(self, model_id: _Optional[str] = ..., images: _Optional[_Union[_types_pb2.Tensor, _Mapping]] = ..., sample_ids: _Optional[_Iterable[str]] = ..., pairs: _Optional[_Iterable[_Union[_types_pb2.TapPair, _Mapping]]] = ..., pooling: _Optional[_Union[_types_pb2.Pooling, str]] = ..., matrices_dtype: _Optional[_Union[_types_pb2.DataType, str]] = ..., matrices_to: _Optional[_Union[_types_pb2.SharedMemoryRef, _Mapping]] = ...) -> None: ...

class TeacherFspResponse(_message.Message):
    __slots__ = ("matrices", "cache_hits", "model_fingerprint")
    MATRICES_FIELD_NUMBER: _ClassVar[int]
    CACHE_HITS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    matrices: _containers.RepeatedCompositeFieldContainer[_types_pb2.Tensor]
    cache_hits: int
    model_fingerprint: str
    def __init__(self, matrices: _Optional[_Iterable[_Union[_types_pb2.Tensor, _Mapping]]] = ..., cache_hits: _Optional[int] = ..., model_fingerprint: _Optional[str] = ...) -> None: ...
