"""The storage SCP: C-ECHO, and C-STORE of the allowed SOP classes streamed to disk, behind the
access rules of the settings; runs on its own threads until stopped."""

import logging
import socket
import ssl
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from pynetdicom import AE, evt
from pynetdicom.association import Association
from pynetdicom.pdu_primitives import A_RELEASE
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]
from pynetdicom.transport import ThreadedAssociationServer

from config.errors import PathSentryError
from config.settings import DicomSettings
from dicom.network import RECEIVE_SPOOL_ATTRIBUTE, is_configured
from dicom.pdu_reading import REFUSAL_ATTRIBUTE
from dicom.scp.access import AssociationLog, PeerPolicy, tls_context
from dicom.scp.index import InstanceIndex
from dicom.scp.observer import IngestObserver
from dicom.scp.slots import AssociationSlots, dismiss, requested_association
from dicom.scp.spool import IncomingSpool
from dicom.scp.storage import InstanceStore
from dicom.scp.store_handler import StoreHandler

log = logging.getLogger(__name__)

UNCOMPRESSED = ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"]


class ScpSetupError(PathSentryError):
    """The SCP cannot start as configured; the message says what to change."""


class StorageScp:
    """Receives instances into `incoming_dir`, places them under `slides_dir`, and has `index`
    record each one before it answers success."""

    def __init__(
        self,
        settings: DicomSettings,
        *,
        incoming_dir: Path,
        slides_dir: Path,
        index: InstanceIndex,
        observer: IngestObserver,
    ) -> None:
        if not is_configured():
            raise ScpSetupError(
                "call dicom.network.configure_pynetdicom() once at start-up before starting the "
                "storage SCP, so that received instances stream to disk"
            )
        self.settings = settings
        self.spool = IncomingSpool(incoming_dir, settings.min_free_space_mb * 2**20)
        self.store = InstanceStore(slides_dir)
        self.slots = AssociationSlots(settings.max_associations)
        self._observer = observer
        self._handler = StoreHandler(
            self.spool, self.store, index, frozenset(settings.allowed_sop_classes), observer
        )
        self._server: _GuardedServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The TCP port it listens on."""
        if self._server is None:
            raise ScpSetupError("the storage SCP is not running")
        return int(self._server.server_address[1])

    @property
    def listening(self) -> bool:
        """Whether it accepts associations now (started, not stopped, its thread alive)."""
        return self._server is not None and self._thread is not None and self._thread.is_alive()

    @property
    def open_connections(self) -> int:
        """TCP connections open now, associated or not."""
        if self._server is None:
            return 0
        return len(self._server.active_associations)

    def start(self) -> None:
        """Listen for associations (returns at once; the server runs on a thread)."""
        entity = _application_entity(self.settings)
        setattr(entity, RECEIVE_SPOOL_ATTRIBUTE, self.spool)
        try:
            made = entity.make_server(
                (self.settings.host, self.settings.port),
                evt_handlers=self._event_handlers(),
                server_class=_GuardedServer,
                guard=_Guard(
                    PeerPolicy(self.settings.allowed_hosts),
                    tls_context(self.settings.tls),
                    self.settings.acse_timeout_s,
                    self._observer,
                ),
                backlog=self.settings.listen_backlog,
            )
        except OSError as error:
            raise ScpSetupError(
                f"cannot listen on {self.settings.host}:{self.settings.port} ({error.strerror}); "
                "free the port or set dicom.port"
            ) from error
        server = cast(_GuardedServer, made)
        entity._servers.append(server)  # so that shutdown() finds it, as in AE.start_server
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="dicom-scp", daemon=True)
        self._thread.start()
        log.info(
            "storage SCP %s listening on %s:%d%s",
            self.settings.ae_title,
            self.settings.host,
            self.port,
            " (TLS)" if self.settings.tls.enabled else "",
        )

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop listening, abort associations still open (their partial files go), and wait."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        associations: list[Association] = server.active_associations
        for association in associations:
            if requested_association(association):
                association.abort()
            else:
                dismiss(association)
        for association in associations:
            association.join(timeout_s)
        if self._thread is not None:
            self._thread.join(timeout_s)
        log.info("storage SCP %s stopped", self.settings.ae_title)

    def _event_handlers(self) -> list[evt.EventHandlerType]:
        journal = AssociationLog(self.settings, self._observer)
        return [
            (evt.EVT_C_STORE, self._handler),
            (evt.EVT_REQUESTED, self.slots.requested),
            (evt.EVT_REJECTED, journal.rejected),
            (evt.EVT_ACCEPTED, journal.accepted),
            (evt.EVT_ABORTED, journal.aborted),
            (evt.EVT_ACSE_RECV, self._acse_received),
            (evt.EVT_CONN_CLOSE, self._connection_closed),
        ]

    def _acse_received(self, event: evt.Event) -> None:
        # A release request: the sender is done. Judging its slides now, before the release
        # is answered, means a sender that saw the release complete also sees the slide queued.
        primitive = cast(Any, event).primitive  # set from the event data
        if isinstance(primitive, A_RELEASE) and primitive.result is None:
            self._handler.association_ended(event.assoc)

    def _connection_closed(self, event: evt.Event) -> None:
        self.slots.closed(event)
        refusal = getattr(event.assoc, REFUSAL_ATTRIBUTE, None)
        if refusal is not None:
            self._observer.association_refused(refusal)
        self._handler.association_ended(event.assoc)  # aborted: what it stored still counts
        removed = self.spool.release(event.assoc)
        if removed:
            log.warning(
                "removed %d partly received instance(s) of an association that ended mid-transfer",
                removed,
            )


def _application_entity(settings: DicomSettings) -> AE:
    entity = AE(ae_title=settings.ae_title)
    entity.maximum_pdu_size = settings.max_pdu_size
    # Our slots (AssociationSlots) enforce dicom.max_associations; pynetdicom's own limit
    # would count connections that never asked to associate.
    entity.maximum_associations = sys.maxsize
    entity.acse_timeout = settings.acse_timeout_s
    entity.dimse_timeout = settings.dimse_timeout_s
    entity.network_timeout = settings.network_timeout_s
    entity.require_called_aet = settings.require_called_ae_title
    entity.require_calling_aet = list(settings.allowed_calling_ae_titles)
    entity.add_supported_context(Verification, UNCOMPRESSED)
    for sop_class in settings.allowed_sop_classes:
        entity.add_supported_context(sop_class, list(settings.transfer_syntaxes))
    return entity


@dataclass(frozen=True)
class _Guard:
    """What the server checks before any DICOM is spoken, and whom it tells of refusals."""

    peers: PeerPolicy
    tls: ssl.SSLContext | None
    handshake_timeout_s: float
    observer: IngestObserver


class _GuardedServer(ThreadedAssociationServer):
    """Refuses peers outside dicom.allowed_hosts before any DICOM is spoken, does the TLS
    handshake on the connection's own thread (so a slow client never blocks accepting), and
    listens with a backlog of dicom.listen_backlog connections."""

    def __init__(self, *args: Any, guard: _Guard, backlog: int, **kwargs: Any) -> None:
        self._guard = guard
        self.request_queue_size = backlog  # read by listen() in the base class's __init__
        super().__init__(*args, **kwargs)

    def verify_request(self, request: Any, client_address: Any) -> bool:
        if self._guard.peers.allows(str(client_address[0])):
            return True
        self._guard.observer.association_refused("allowed_hosts")
        log.warning("refused connection from %s: not in dicom.allowed_hosts", client_address[0])
        return False

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        if self._guard.tls is not None:
            request = self._handshake(request, client_address)
            if request is None:
                return
        super().process_request_thread(request, client_address)

    def _handshake(self, request: socket.socket, client_address: Any) -> ssl.SSLSocket | None:
        tls = self._guard.tls
        assert tls is not None  # only called with TLS on
        blocking = request.gettimeout()
        request.settimeout(self._guard.handshake_timeout_s)
        try:
            wrapped = tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as error:
            self._guard.observer.association_refused("tls_handshake")
            log.warning(
                "refused connection from %s: TLS handshake failed (%s)", client_address[0], error
            )
            self.shutdown_request(request)
            return None
        wrapped.settimeout(blocking)
        return wrapped
