"""Who may talk to the SCP, and the log line for every refusal (pynetdicom's own are DEBUG)."""

import ipaddress
import logging
import ssl
from collections.abc import Sequence
from typing import Any

from pynetdicom.events import Event

from config.settings import DicomSettings, TlsSettings
from dicom.scp.observer import IngestObserver

log = logging.getLogger(__name__)

# A-ASSOCIATE-RJ (result source, diagnostic) -> the metric's reason label and what the
# administrator must check (PS3.8 9.3.4).
_REJECTIONS = {
    (1, 1): ("rejected", "rejected without a reason"),
    (1, 2): ("application_context", "application context not supported"),
    (1, 3): (
        "calling_ae_title",
        "calling AE title {calling} is not in dicom.allowed_calling_ae_titles",
    ),
    (1, 7): (
        "called_ae_title",
        "called AE title {called} is not ours ({ours}); fix the AE title on the sender",
    ),
    (2, 1): ("user_identity", "user identity not accepted"),
    (2, 2): ("protocol_version", "protocol version not supported"),
    (3, 1): ("congestion", "temporary congestion"),
    (3, 2): ("max_associations", "already at dicom.max_associations ({limit}) associations"),
}
_UNKNOWN_REJECTION = ("rejected", "rejected")
# Presentation context results (PS3.8 9.3.3.2).
_CONTEXT_REFUSALS = {
    0x01: "refused by the user",
    0x02: "refused without a reason",
    0x03: "SOP class not in dicom.allowed_sop_classes",
    0x04: "none of the proposed transfer syntaxes is in dicom.transfer_syntaxes",
}


class PeerPolicy:
    """The peer addresses that may connect: any, or those in dicom.allowed_hosts."""

    def __init__(self, allowed_hosts: Sequence[str]) -> None:
        self._networks = [ipaddress.ip_network(host, strict=False) for host in allowed_hosts]

    def allows(self, address: str) -> bool:
        """Whether a peer at `address` may connect."""
        if not self._networks:
            return True
        try:
            peer = ipaddress.ip_address(address.split("%")[0])
        except ValueError:
            return False
        if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped is not None:
            peer = peer.ipv4_mapped
        return any(peer in network for network in self._networks)


def tls_context(tls: TlsSettings) -> ssl.SSLContext | None:
    """The server's TLS context (TLS 1.2 or newer), or None when TLS is off."""
    if not tls.enabled:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    assert tls.certificate is not None and tls.private_key is not None  # the settings check both
    context.load_cert_chain(tls.certificate, tls.private_key)
    if tls.client_ca is not None:
        context.load_verify_locations(cafile=tls.client_ca)
        context.verify_mode = (
            ssl.CERT_REQUIRED if tls.require_client_certificate else ssl.CERT_OPTIONAL
        )
    return context


class AssociationLog:
    """Notification handlers that log associations: accepted, refused (and why), aborted."""

    def __init__(self, settings: DicomSettings, observer: IngestObserver) -> None:
        self._settings = settings
        self._observer = observer

    def rejected(self, event: Event) -> None:
        """EVT_REJECTED: say which setting refused the association."""
        answer, request = event.assoc.acceptor.primitive, event.assoc.requestor.primitive
        if answer is None or request is None:
            self._observer.association_refused(_UNKNOWN_REJECTION[0])
            log.warning("refused association from %s", _peer(event))
            return
        key = (answer.result_source or 0, answer.diagnostic or 0)
        label, reason = _REJECTIONS.get(key, _UNKNOWN_REJECTION)
        self._observer.association_refused(label)
        log.warning(
            "refused association from %s: %s",
            _peer(event),
            reason.format(
                calling=str(request.calling_ae_title).strip(),
                called=str(request.called_ae_title).strip(),
                ours=self._settings.ae_title,
                limit=self._settings.max_associations,
            ),
        )

    def accepted(self, event: Event) -> None:
        """EVT_ACCEPTED: log the association and, in one line, the contexts it refused and why.

        Generic senders propose contexts for every SOP class they know, so refusals are
        normal while something was accepted; with nothing accepted the line is a warning.
        """
        association = event.assoc
        accepted, refused = association.accepted_contexts, association.rejected_contexts
        self._observer.association_accepted()
        log.info(
            "association from %s accepted with %d of %d presentation contexts",
            _peer(event),
            len(accepted),
            len(accepted) + len(refused),
        )
        if refused:
            level = logging.INFO if accepted else logging.WARNING
            log.log(level, "refused presentation contexts from %s: %s", _peer(event), _why(refused))

    def aborted(self, event: Event) -> None:
        """EVT_ABORTED: a transfer may have stopped midway (its partial file is removed)."""
        log.warning("association from %s aborted", _peer(event))


def _why(refused: Sequence[Any]) -> str:
    """The refused contexts grouped by reason: "SOP class not in ...: 1.2.3, 1.2.4"."""
    by_reason: dict[str, list[str]] = {}
    for context in refused:
        reason = _CONTEXT_REFUSALS.get(context.result or 0, "refused")
        by_reason.setdefault(reason, [])
        if context.abstract_syntax not in by_reason[reason]:
            by_reason[reason].append(str(context.abstract_syntax))
    return "; ".join(f"{reason}: {', '.join(uids)}" for reason, uids in by_reason.items())


def _peer(event: Event) -> str:
    requestor = event.assoc.requestor
    return f"{str(requestor.ae_title).strip() or '?'}@{requestor.address}:{requestor.port}"
