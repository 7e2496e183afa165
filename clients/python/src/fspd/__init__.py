"""Python client for fspd, the FSP knowledge-distillation service (Yim et al., CVPR 2017).

- :class:`Client`: the FspService, ModelService and TrainingService RPCs with numpy in and out.
- :mod:`fspd.torch`: the FSP loss for PyTorch students: computed locally against a server teacher's FSP matrices, or by
  the server from the student's maps (``pip install 'fspd[torch]'``).
- :class:`TrainingSession`: drives a remote two-stage training session.
- :class:`SharedMemory`: large tensors through a shared file instead of the socket (same host or pod).
- :mod:`fspd.errors`: one exception per status code, with ``.code``, and what the server's status details say:
  ``.reason``, ``.metadata``, ``.field`` / ``.field_violations`` and ``.retry_delay``.
- :mod:`fspd.v1`: the generated protobuf messages and gRPC stubs.
"""
from . import errors
from .client import Client, FspLossResult, Retry, TeacherFspResult, batch_of, dataset_of
from .errors import FspdError
from .session import RunSummary, TrainingSession, print_progress
from .shared_memory import SharedMemory
from .v1 import fsp_service_pb2, model_service_pb2, training_service_pb2, types_pb2

# package.json's version, written by scripts/version.mjs; pyproject.toml reads it from here.
__version__ = "0.1.0"
__all__ = [
    "Client", "SharedMemory", "FspLossResult", "TeacherFspResult", "Retry", "TrainingSession", "RunSummary", "print_progress",
    "FspdError", "errors", "batch_of", "dataset_of", "types_pb2", "fsp_service_pb2", "model_service_pb2",
    "training_service_pb2",
]
