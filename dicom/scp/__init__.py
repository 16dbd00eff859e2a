"""The storage SCP that scanners and PACS routers send slides to: streamed to disk, checked,
placed atomically and indexed before it answers success."""

from dicom.scp.index import IndexOutcome, IndexResult, InstanceIndex
from dicom.scp.pyramid import is_pyramid_complete
from dicom.scp.received import (
    ImageFields,
    ReceivedInstance,
    SlideFields,
    StoreRequest,
    StudyFields,
)
from dicom.scp.server import ScpSetupError, StorageScp
from dicom.scp.spool import INCOMING_SUFFIX
from dicom.scp.status import InstanceRefusedError, StoreStatus
from dicom.scp.storage import InstanceStore, Placement

__all__ = [
    "INCOMING_SUFFIX",
    "ImageFields",
    "IndexOutcome",
    "IndexResult",
    "InstanceIndex",
    "InstanceRefusedError",
    "InstanceStore",
    "Placement",
    "ReceivedInstance",
    "ScpSetupError",
    "SlideFields",
    "StorageScp",
    "StoreRequest",
    "StoreStatus",
    "StudyFields",
    "is_pyramid_complete",
]
