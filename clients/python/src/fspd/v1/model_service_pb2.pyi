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

class ModelOrigin(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MODEL_ORIGIN_UNSPECIFIED: _ClassVar[ModelOrigin]
    MODEL_ORIGIN_BUILT_IN: _ClassVar[ModelOrigin]
    MODEL_ORIGIN_UPLOADED: _ClassVar[ModelOrigin]
MODEL_ORIGIN_UNSPECIFIED: ModelOrigin
MODEL_ORIGIN_BUILT_IN: ModelOrigin
MODEL_ORIGIN_UPLOADED: ModelOrigin

class ResNetSpec(_message.Message):
    __slots__ = ("depth", "width_multiplier", "num_classes", "input_shape", "seed")
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    WIDTH_MULTIPLIER_FIELD_NUMBER: _ClassVar[int]
    NUM_CLASSES_FIELD_NUMBER: _ClassVar[int]
    INPUT_SHAPE_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    depth: int
    width_multiplier: int
    num_classes: int
    input_shape: _containers.RepeatedScalarFieldContainer[int]
    seed: int
    def __init__(self, depth: _Optional[int] = ..., width_multiplier: _Optional[int] = ..., num_classes: _Optional[int] = ..., input_shape: _Optional[_Iterable[int]] = ..., seed: _Optional[int] = ...) -> None: ...

class Tap(_message.Message):
    __slots__ = ("layer", "shape")
    LAYER_FIELD_NUMBER: _ClassVar[int]
    SHAPE_FIELD_NUMBER: _ClassVar[int]
    layer: str
    shape: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, layer: _Optional[str] = ..., shape: _Optional[_Iterable[int]] = ...) -> None: ...

class Model(_message.Message):
    __slots__ = ("model_id", "name", "origin", "resnet", "input_shape", "num_classes", "taps", "pairs", "parameter_count", "weights_size", "create_time", "session_ids")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    RESNET_FIELD_NUMBER: _ClassVar[int]
    INPUT_SHAPE_FIELD_NUMBER: _ClassVar[int]
    NUM_CLASSES_FIELD_NUMBER: _ClassVar[int]
    TAPS_FIELD_NUMBER: _ClassVar[int]
    PAIRS_FIELD_NUMBER: _ClassVar[int]
    PARAMETER_COUNT_FIELD_NUMBER: _ClassVar[int]
    WEIGHTS_SIZE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    SESSION_IDS_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    name: str
    origin: ModelOrigin
    resnet: ResNetSpec
    input_shape: _containers.RepeatedScalarFieldContainer[int]
    num_classes: int
    taps: _containers.RepeatedCompositeFieldContainer[Tap]
    pairs: _containers.RepeatedCompositeFieldContainer[_types_pb2.TapPair]
    parameter_count: int
    weights_size: int
    create_time: _timestamp_pb2.Timestamp
    session_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, model_id: _Optional[str] = ..., name: _Optional[str] = ..., origin: _Optional[_Union[ModelOrigin, str]] = ..., resnet: _Optional[_Union[ResNetSpec, _Mapping]] = ..., input_shape: _Optional[_Iterable[int]] = ..., num_classes: _Optional[int] = ..., taps: _Optional[_Iterable[_Union[Tap, _Mapping]]] = ..., pairs: _Optional[_Iterable[_Union[_types_pb2.TapPair, _Mapping]]] = ..., parameter_count: _Optional[int] = ..., weights_size: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., session_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateModelRequest(_message.Message):
    __slots__ = ("model_id", "resnet")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    RESNET_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    resnet: ResNetSpec
    def __init__(self, model_id: _Optional[str] = ..., resnet: _Optional[_Union[ResNetSpec, _Mapping]] = ...) -> None: ...

class CreateModelResponse(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: Model
    def __init__(self, model: _Optional[_Union[Model, _Mapping]] = ...) -> None: ...

class UploadModelHeader(_message.Message):
    __slots__ = ("model_id", "model_json", "taps", "pairs", "weights_size")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_JSON_FIELD_NUMBER: _ClassVar[int]
    TAPS_FIELD_NUMBER: _ClassVar[int]
    PAIRS_FIELD_NUMBER: _ClassVar[int]
    WEIGHTS_SIZE_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    model_json: str
    taps: _containers.RepeatedScalarFieldContainer[str]
    pairs: _containers.RepeatedCompositeFieldContainer[_types_pb2.TapPair]
    weights_size: int
    def __init__(self, model_id: _Optional[str] = ..., model_json: _Optional[str] = ..., taps: _Optional[_Iterable[str]] = ..., pairs: _Optional[_Iterable[_Union[_types_pb2.TapPair, _Mapping]]] = ..., weights_size: _Optional[int] = ...) -> None: ...

class UploadModelRequest(_message.Message):
    __slots__ = ("header", "weights_chunk")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    WEIGHTS_CHUNK_FIELD_NUMBER: _ClassVar[int]
    header: UploadModelHeader
    weights_chunk: bytes
    def __init__(self, header: _Optional[_Union[UploadModelHeader, _Mapping]] = ..., weights_chunk: _Optional[bytes] = ...) -> None: ...

class UploadModelResponse(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: Model
    def __init__(self, model: _Optional[_Union[Model, _Mapping]] = ...) -> None: ...

class GetModelRequest(_message.Message):
    __slots__ = ("model_id",)
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    def __init__(self, model_id: _Optional[str] = ...) -> None: ...

class GetModelResponse(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: Model
    def __init__(self, model: _Optional[_Union[Model, _Mapping]] = ...) -> None: ...

class ListModelsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListModelsResponse(_message.Message):
    __slots__ = ("models",)
    MODELS_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[Model]
    def __init__(self, models: _Optional[_Iterable[_Union[Model, _Mapping]]] = ...) -> None: ...

class DeleteModelRequest(_message.Message):
    __slots__ = ("model_id",)
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    def __init__(self, model_id: _Optional[str] = ...) -> None: ...

class DeleteModelResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ExportModelRequest(_message.Message):
    __slots__ = ("model_id", "chunk_size")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    CHUNK_SIZE_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    chunk_size: int
    def __init__(self, model_id: _Optional[str] = ..., chunk_size: _Optional[int] = ...) -> None: ...

class ExportModelResponse(_message.Message):
    __slots__ = ("header", "weights_chunk")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    WEIGHTS_CHUNK_FIELD_NUMBER: _ClassVar[int]
    header: UploadModelHeader
    weights_chunk: bytes
    def __init__(self, header: _Optional[_Union[UploadModelHeader, _Mapping]] = ..., weights_chunk: _Optional[bytes] = ...) -> None: ...
