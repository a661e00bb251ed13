"""A child's file sent to a school on Kestrel, and its receipt sent back.

Sending (a task, `deliver`): the package (kestrel.transfer_pages.package) is written to a
temporary file, encrypted to the receiving school's key and put in a signed envelope
(kestrel.transfer_pages.crypto), then POSTed to the receiving Kestrel's inbox, or, to a school of
this installation, handed to the same checks in-process. The receiving Kestrel fetches the
sender's keys from the sender's own address and checks the signature before it decrypts.

The envelope (format "kestrel-transfer-envelope", version 1), as signed:

    {"format": "kestrel-transfer-envelope", "version": 1,
     "sender": {"address": "<its SITE_URL>", "urn": "...", "name": "..."},
     "recipient": {"urn": "...", "address": "<its SITE_URL, or '' in one installation>"},
     "transfer": "<the sender's reference>", "sent_at": "<moment>",
     "suite": "HPKE-Base-X25519-HKDF-SHA256-AES-256-GCM", "chunk_bytes": 1048576,
     "sealed_key": "<base64: the content key sealed with HPKE to the recipient's key>",
     "ciphertext_sha256": "<hex>", "ciphertext_bytes": <int>}

On the wire: POST <address>/transfers/inbox/ with the ciphertext as the body
(application/octet-stream) and two headers, Kestrel-Envelope (the envelope's signed bytes in
base64) and Kestrel-Signature (Ed25519, base64).

A receipt (format "kestrel-transfer-receipt", version 1) goes back once the receiving DSL accepts
the file, signed by the receiving school: POST <sender's address>/transfers/receipts/ with JSON
{"receipt": "<base64 of its signed bytes>", "signature": "<base64>"}. The sender checks it
against the keys of the school the file was sent to, fetched from that school's address. When
the receiving DSL refuses the file instead (not their pupil), the same goes back as version 2 with
"outcome": "refused" and "reason": "<their words>" (acknowledged_by and _at: who refused it, when);
version 2 may also say "outcome": "accepted". A Kestrel that reads version 1 only refuses a
version 2 receipt rather than taking a refusal for an acceptance.

Trust: a school's keys are those its Kestrel publishes at its own address over HTTPS (plain HTTP
only to this machine, for development and tests). A package can claim to come from a school only
if it is signed by the key that school's own address publishes, and the receiving DSL sees that
address beside the school's name.
"""

import datetime
import hashlib
import http.client
import json
import logging
import tempfile
import urllib.error
from dataclasses import dataclass
from typing import BinaryIO

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from kestrel.audit.services import record
from kestrel.exports import services as exports
from kestrel.exports.models import ExportRequest
from kestrel.exports.models import State as ExportState
from kestrel.faults import pause_point
from kestrel.schools.models import School
from kestrel.schools.scope import in_school_of
from kestrel.tasks import enqueue_with_transaction
from kestrel.transfer_pages import crypto, package
from kestrel.transfer_pages.kestrel_inbox import (
    ENVELOPE_FORMAT,
    RECEIPT_FORMAT,
    REFUSED,
    VERSION,
    binding,
    digest_of,
    receive_envelope,
    take_receipt,
)
from kestrel.transfer_pages.kestrel_peers import (
    KEYS_TIMEOUT,
    DeliveryFailed,
    Refused,
    answer_text,
    checked_address,
    fetch_keys,
    is_here,
    own_address,
    post,
    school_here,
)
from kestrel.transfers.models import (
    DeliveryState,
    KestrelDelivery,
    Received,
    ReceivedState,
    Route,
    Transfer,
)
from kestrel.transfers.services import NotLeft, NotOpen, check_can_send, record_sent

logger = logging.getLogger(__name__)

SEND_TIMEOUT = 600  # seconds without progress (the receiver checks the whole package first)
RECEIPT_RETRY_MAX = datetime.timedelta(hours=6)


# Sending a package ------------------------------------------------------------------------


@dataclass(frozen=True)
class Destination:
    """The receiving school as the DSL is asked to confirm it."""

    name: str
    urn: str
    address: str  # empty: a school of this installation
    school: School | None = None
    signing: str = ""
    encryption: str = ""

    @property
    def here(self) -> bool:
        return self.school is not None

    @property
    def fingerprint(self) -> str:
        return crypto.fingerprint(self.signing) if self.signing else ""


def destination(transfer: Transfer) -> Destination:
    """Who the file would go to: a school of this installation by its row, another Kestrel's
    school by the name and keys its Kestrel gives for its URN. DeliveryFailed if neither."""
    school = transfer.destination_school
    if school is None and transfer.destination_address and is_here(transfer.destination_address):
        school = school_here(transfer.destination_urn)
    if school is not None:
        if school.pk == transfer.school_id:
            raise DeliveryFailed("The file cannot be sent to the school it is at.")
        return Destination(name=school.name, urn=school.urn, address="", school=school)
    if not transfer.destination_address or not transfer.destination_urn:
        raise DeliveryFailed(
            "The destination is not a school on Kestrel: record its Kestrel address and URN, or "
            "send the file another way."
        )
    if not transfer.school.urn:
        raise DeliveryFailed(
            "Your school has no URN recorded (School set-up): the receiving Kestrel finds your "
            "school's keys by it."
        )
    keys = fetch_keys(transfer.destination_address, transfer.destination_urn)
    return Destination(
        name=keys.name,
        urn=keys.urn,
        address=checked_address(transfer.destination_address),
        signing=keys.signing,
        encryption=keys.encryption,
    )


def request_delivery(
    *, transfer: Transfer, actor, confirmed: Destination, request=None
) -> KestrelDelivery:
    """Queues the file's delivery to the school the DSL confirmed. Refused before the child has
    left (NotLeft) or once the file has gone (NotOpen); a delivery under way is returned."""
    check_can_send(transfer)
    with transaction.atomic():
        working = KestrelDelivery.objects.filter(
            transfer=transfer,
            state__in=[DeliveryState.QUEUED, DeliveryState.SENDING],
            requested_at__gte=timezone.now() - KestrelDelivery.LOST_AFTER,
        ).first()
        if working is not None:
            return working
        delivery = KestrelDelivery.objects.create(
            school=transfer.school,
            transfer=transfer,
            requested_by=actor,
            to_name=confirmed.name[:200],
            to_urn=confirmed.urn,
            to_address=confirmed.address,
            to_signing_key=confirmed.signing,
            to_encryption_key=confirmed.encryption,
        )
        record(
            action="transfer.kestrel_send_requested",
            actor=actor,
            request=request,
            obj=transfer,
            student=transfer.student,
            detail={
                "delivery": delivery.pk,
                "to_urn": confirmed.urn,
                "to_address": confirmed.address or "this Kestrel",
            },
        )
        enqueue_with_transaction(deliver, delivery.pk)
    return delivery


def latest_delivery(transfer: Transfer) -> KestrelDelivery | None:
    return KestrelDelivery.objects.filter(transfer=transfer).first()


def _export_for(transfer: Transfer, actor) -> ExportRequest:
    """The whole-file export the transfer was prepared with (kestrel.transfer_pages.sending), or
    one made now, in this task, if it was not (or its files have since been deleted)."""
    export = transfer.export
    if (
        export is not None
        and export.state == ExportState.DONE
        and export.stored_name
        and not export.redacted
    ):
        return export
    export = ExportRequest.objects.create(
        school=transfer.school, student=transfer.student, requested_by=actor, redacted=False
    )
    # The transfer's own export: its cover says so and its last page is the receipt slip.
    Transfer.objects.filter(pk=transfer.pk).update(export=export)
    transfer.export = export
    record(
        action="export.requested",
        actor=actor,
        obj=export,
        student=transfer.student,
        detail={"redacted": False, "transfer": transfer.pk},
    )
    export = ExportRequest.objects.select_related("student__school", "requested_by").get(
        pk=export.pk
    )
    exports.make(export)
    export.refresh_from_db()
    if export.state != ExportState.DONE:
        raise DeliveryFailed("The file could not be exported (the PDF was not made).")
    return export


class _Digesting:
    """Writes through to `out`, counting and digesting."""

    def __init__(self, out: BinaryIO):
        self.out, self.size, self.digest = out, 0, hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.out.write(data)
        self.size += len(data)
        self.digest.update(data)


def seal_package(
    *, school, transfer_reference: str, to: Destination, zipped: BinaryIO, out: BinaryIO
) -> tuple[bytes, str]:
    """Encrypts the ZIP to the destination into `out` and signs its envelope: (the envelope's
    signed bytes, the signature)."""
    envelope = {
        "format": ENVELOPE_FORMAT,
        "version": VERSION,
        "sender": {"address": own_address(), "urn": school.urn, "name": school.name},
        "recipient": {"urn": to.urn, "address": to.address},
        "transfer": transfer_reference,
        "sent_at": timezone.now().isoformat(),
        "suite": crypto.SUITE_NAME,
        "chunk_bytes": crypto.CHUNK_BYTES,
    }
    writer = _Digesting(out)
    envelope["sealed_key"] = crypto.seal(
        zipped, writer, encryption_key_b64=to.encryption, info=binding(envelope)
    )
    envelope["ciphertext_sha256"] = writer.digest.hexdigest()
    envelope["ciphertext_bytes"] = writer.size
    out.seek(0)
    return crypto.sign(school, crypto.ENVELOPE, envelope)


def _send_over_http(address: str, signed: bytes, signature: str, cipher: BinaryIO) -> str:
    """POSTs the package to the Kestrel at `address`. Returns the digest of the package it holds
    when it had this transfer's file already (a copy sent before, whose answer was lost), else
    ''. DeliveryFailed says why not."""
    size = cipher.seek(0, 2)
    cipher.seek(0)
    try:
        answer = post(
            f"{address}/transfers/inbox/",
            cipher,
            {
                "Content-Type": "application/octet-stream",
                "Content-Length": str(size),
                "Kestrel-Envelope": crypto.b64(signed),
                "Kestrel-Signature": signature,
                "User-Agent": "Kestrel",
            },
            SEND_TIMEOUT,
        )
    except urllib.error.HTTPError as error:
        if error.code in (429, 503):  # busy, or could not reach us just now: not a refusal
            raise TryAgainSoon(
                f"The Kestrel at {address} could not take the file just now: {answer_text(error)}"
            ) from None
        raise DeliveryFailed(
            f"The Kestrel at {address} refused the file: {answer_text(error)}"
        ) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, ConnectionResetError | BrokenPipeError | http.client.HTTPException):
            # It may have the file: it stopped (or was stopped) before it answered.
            raise DeliveryFailed(
                f"The Kestrel at {address} stopped before confirming it had the file "
                f"({reason or type(reason).__name__}). Sending it again is safe: it keeps one "
                "copy of each file."
            ) from None
        raise DeliveryFailed(f"The Kestrel at {address} could not be reached ({reason}).") from None
    return _digest_held(answer)


def _digest_held(answer: bytes) -> str:
    """From the inbox's answer, the digest of the copy it kept if it had the file already."""
    try:
        said = json.loads(answer)
    except (ValueError, UnicodeDecodeError):
        return ""
    if not isinstance(said, dict) or said.get("received") != "already":
        return ""
    digest = said.get("sha256")
    if isinstance(digest, str) and len(digest) == 64 and set(digest) <= set("0123456789abcdef"):
        return digest
    return ""


def _failed(delivery: KestrelDelivery, reason: str) -> None:
    with transaction.atomic():
        KestrelDelivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.FAILED, reason=reason[:500], finished_at=timezone.now()
        )
        record(
            action="transfer.kestrel_not_sent",
            actor=delivery.requested_by,
            obj=delivery.transfer,
            student=delivery.transfer.student,
            detail={"delivery": delivery.pk, "reason": reason[:300]},
        )


def send(delivery: KestrelDelivery) -> None:
    """Makes, seals and delivers the package (the task's work); the transfer is recorded as
    sent once the receiving Kestrel has it. DeliveryFailed says why not."""
    transfer = delivery.transfer
    actor = delivery.requested_by
    try:
        check_can_send(transfer)
    except (NotLeft, NotOpen) as refusal:
        raise DeliveryFailed(str(refusal)) from None
    if delivery.to_address:
        to = fetch_keys(delivery.to_address, delivery.to_urn)
        if (to.signing, to.encryption) != (delivery.to_signing_key, delivery.to_encryption_key):
            raise DeliveryFailed(
                f"The keys of {delivery.to_name} changed after you confirmed: check the school "
                "and send again."
            )
        to = Destination(
            name=delivery.to_name,
            urn=delivery.to_urn,
            address=delivery.to_address,
            signing=to.signing,
            encryption=to.encryption,
        )
    else:
        school = destination(transfer).school
        if school is None:
            raise DeliveryFailed("The destination changed after you confirmed: send again.")
        keys = crypto.public_keys(school, own_address())
        to = Destination(
            name=school.name,
            urn=school.urn,
            address="",
            school=school,
            signing=keys.signing,
            encryption=keys.encryption,
        )
    export = _export_for(transfer, actor)
    with (
        tempfile.TemporaryFile(prefix="kestrel-package-") as zipped,
        tempfile.TemporaryFile(prefix="kestrel-package-") as cipher,
    ):
        data, files = package.records(transfer, actor, to_name=to.name, to_urn=to.urn)
        package.write(data, files, export, zipped)
        package_sha256 = digest_of(zipped)
        signed, signature = seal_package(
            school=transfer.school,
            transfer_reference=str(transfer.pk),
            to=to,
            zipped=zipped,
            out=cipher,
        )
        pause_point("package_sealed")  # the fault tests kill the sending Kestrel here
        if to.here:
            sender = crypto.public_keys(transfer.school, own_address())
            try:
                received, new = receive_envelope(
                    signed, signature, cipher, school=to.school, sender_keys=sender
                )
            except Refused as refusal:
                raise DeliveryFailed(f"{to.name} refused the file: {refusal.reason}") from None
            held = "" if new else received.sha256
        else:
            held = _send_over_http(to.address, signed, signature, cipher)
    pause_point("package_delivered")  # ... and here, once the other Kestrel has the file
    # Sent before (a worker or an answer lost on the way): the copy the receiving school kept
    # is the one it holds, so its digest is the one recorded as sent.
    package_sha256 = held or package_sha256
    with transaction.atomic():
        try:
            record_sent(
                transfer=transfer,
                actor=actor,
                route=Route.KESTREL,
                how=to.name + (f" ({to.address})" if to.address else ""),
                export=export,
                package_sha256=package_sha256,
            )
        except (NotLeft, NotOpen) as refusal:
            raise DeliveryFailed(
                f"The file reached {to.name}, but the transfer changed meanwhile: {refusal}"
            ) from None
        KestrelDelivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.DELIVERED,
            package_sha256=package_sha256,
            reason="",
            finished_at=timezone.now(),
        )


class TryAgainSoon(DeliveryFailed):
    """The other Kestrel could not take the file just now (too busy, or it could not reach this
    Kestrel to check its keys, as happens while this one restarts): the task tries again."""


# A file the other Kestrel could not take just now is tried again this many times, waiting
# longer each time (30 s, 1 min, 2 min, 4 min), before the DSL is shown why it failed.
SOON_ATTEMPTS = 5
SOON_FIRST_WAIT = datetime.timedelta(seconds=30)


@task
def deliver(delivery_id: int, attempt: int = 1) -> None:
    """Sends a leaver's file to the school on Kestrel the DSL confirmed. Run again (a worker
    lost mid-way) it sends again: the receiving Kestrel keeps one copy of each transfer."""
    with in_school_of(KestrelDelivery, delivery_id):
        claimed = KestrelDelivery.objects.filter(
            pk=delivery_id, state__in=[DeliveryState.QUEUED, DeliveryState.SENDING]
        ).update(state=DeliveryState.SENDING)
        if not claimed:
            return
        delivery = KestrelDelivery.objects.select_related(
            "transfer__student",
            "transfer__school",
            "transfer__destination_school",
            "transfer__export",
            "requested_by__access_level",
        ).get(pk=delivery_id)
        try:
            send(delivery)
        except TryAgainSoon as failure:
            if attempt < SOON_ATTEMPTS and deliver.get_backend().supports_defer:
                logger.warning("Delivery %s: %s (attempt %s)", delivery_id, failure, attempt)
                wait = SOON_FIRST_WAIT * 2 ** (attempt - 1)
                deliver.using(run_after=timezone.now() + wait).enqueue(delivery_id, attempt + 1)
            else:
                _failed(delivery, str(failure))
        except DeliveryFailed as failure:
            _failed(delivery, str(failure))
        except Exception:
            _failed(delivery, "Kestrel could not send the file (the error is in its log).")
            raise


# Sending a receipt -------------------------------------------------------------------------


def send_receipt(received: Received) -> None:
    """Sends the receipt for a file its receiving DSL has accepted back to the school that sent
    it (a task, after the caller's transaction; tried again until delivered)."""
    enqueue_with_transaction(deliver_receipt, received.pk, 1)


def _retry_receipt(received: Received, attempt: int, reason: str) -> None:
    record(
        action="transfer.receipt_not_sent",
        obj=received,
        school=received.school,
        student=received.student,
        detail={"attempt": attempt, "reason": reason[:300]},
    )
    if deliver_receipt.get_backend().supports_defer:
        wait = min(datetime.timedelta(minutes=2**attempt), RECEIPT_RETRY_MAX)
        deliver_receipt.using(run_after=timezone.now() + wait).enqueue(received.pk, attempt + 1)


def receipt_of(received: Received) -> dict:
    """The receipt for an accepted file (version 1, as every Kestrel reads it), or the answer
    for a refused one (version 2: its outcome and the receiving DSL's reason)."""
    refused = received.state == ReceivedState.REFUSED
    accepter = received.refused_by if refused else received.accepted_by
    at = received.refused_at if refused else received.accepted_at
    outcome = {"outcome": REFUSED, "reason": received.refused_reason} if refused else {}
    return {
        "format": RECEIPT_FORMAT,
        "version": 2 if refused else VERSION,
        **outcome,
        "sender": {
            "address": own_address(),
            "urn": received.school.urn,
            "name": received.school.name,
        },
        "recipient": {"address": received.from_address, "urn": received.from_school_urn},
        "transfer": received.from_transfer,
        "acknowledged_by": {
            "name": accepter.full_name if accepter else "",
            "role": accepter.job_title if accepter else "",
        },
        "acknowledged_at": (at or timezone.now()).isoformat(),
    }


@task
def deliver_receipt(received_id: int, attempt: int = 1) -> None:
    """Tells the sending school that its file was accepted (or refused) here, signed by this
    school."""
    with in_school_of(Received, received_id):
        received = (
            Received.objects.select_related("school", "accepted_by", "refused_by", "student")
            .filter(
                pk=received_id,
                state__in=[ReceivedState.ACCEPTED, ReceivedState.REFUSED],
                receipt_sent_at__isnull=True,
            )
            .first()
        )
        if received is None:  # sent already, or neither accepted nor refused
            return
        signed, signature = crypto.sign(received.school, crypto.RECEIPT, receipt_of(received))
        try:
            if is_here(received.from_address):
                take_receipt(
                    signed,
                    signature,
                    signer_keys=crypto.public_keys(received.school, own_address()),
                )
            else:
                address = checked_address(received.from_address)
                post(
                    f"{address}/transfers/receipts/",
                    json.dumps({"receipt": crypto.b64(signed), "signature": signature}).encode(),
                    {"Content-Type": "application/json", "User-Agent": "Kestrel"},
                    KEYS_TIMEOUT * 3,
                )
        except Refused as refusal:  # here: the same answer the other Kestrel would give
            _receipt_refused(received, refusal.reason)
            return
        except urllib.error.HTTPError as error:
            if 400 <= error.code < 500 and error.code != 429:  # too many: tried again later
                _receipt_refused(received, answer_text(error))
            else:
                _retry_receipt(received, attempt, answer_text(error))
            return
        except (DeliveryFailed, urllib.error.URLError, OSError) as error:
            _retry_receipt(received, attempt, str(getattr(error, "reason", error)))
            return
        with transaction.atomic():
            Received.objects.filter(pk=received.pk).update(receipt_sent_at=timezone.now())
            record(
                action="transfer.receipt_sent",
                obj=received,
                school=received.school,
                student=received.student,
                detail={
                    "to_address": received.from_address,
                    "attempt": attempt,
                    "outcome": received.state,
                },
            )


def _receipt_refused(received: Received, reason: str) -> None:
    """The sender refused the receipt: trying again would not help; recorded for the record."""
    logger.warning("The receipt for received file %s was refused: %s", received.pk, reason)
    record(
        action="transfer.receipt_not_sent",
        obj=received,
        school=received.school,
        student=received.student,
        detail={"refused": True, "reason": reason[:300]},
    )
