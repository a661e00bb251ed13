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
against the keys of the school the file was sent to, fetched from that school's address.

Trust: a school's keys are those its Kestrel publishes at its own address over HTTPS (plain HTTP
only to this machine, for development and tests). A package can claim to come from a school only
if it is signed by the key that school's own address publishes, and the receiving DSL sees that
address beside the school's name.
"""

import datetime
import hashlib
import ipaddress
import json
import logging
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.tasks import task
from django.utils import timezone

from kestrel.audit.services import record
from kestrel.exports import services as exports
from kestrel.exports.models import ExportRequest
from kestrel.exports.models import State as ExportState
from kestrel.ids import is_id
from kestrel.schools.models import School
from kestrel.schools.scope import in_school_of, school_id_of, scope
from kestrel.tasks import enqueue_with_transaction
from kestrel.transfer_pages import crypto, package
from kestrel.transfers import schema
from kestrel.transfers.models import (
    DeliveryState,
    KestrelDelivery,
    Received,
    ReceivedState,
    Route,
    State,
    Transfer,
)
from kestrel.transfers.services import NotLeft, NotOpen, check_can_send, record_receipt, record_sent

logger = logging.getLogger(__name__)

ENVELOPE_FORMAT = "kestrel-transfer-envelope"
RECEIPT_FORMAT = "kestrel-transfer-receipt"
VERSION = 1
# The largest package an inbox takes (its ciphertext), and the largest envelope, receipt or keys.
PACKAGE_MAX_BYTES = getattr(settings, "TRANSFER_PACKAGE_MAX_MB", 1024) * 1024 * 1024
SMALL_MAX_BYTES = 64 * 1024
KEYS_TIMEOUT = 10  # seconds, for each step of asking another Kestrel for a school's keys
SEND_TIMEOUT = 600  # seconds without progress (the receiver checks the whole package first)
RECEIPT_RETRY_MAX = datetime.timedelta(hours=6)
LOOPBACK = {"localhost"}
URN_CHARACTERS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


class DeliveryFailed(Exception):
    """The file could not be sent; the message says why, for the DSL."""


class Refused(Exception):
    """A package or receipt this Kestrel refuses: the HTTP status, a short code for the audit
    trail and a plain reason for the sender."""

    def __init__(self, status: int, code: str, reason: str):
        super().__init__(reason)
        self.status, self.code, self.reason = status, code, reason


# Addresses and keys ------------------------------------------------------------------------


def _loopback(host: str) -> bool:
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _normal(value: str) -> tuple[str, str, str]:
    """(scheme, host[:port], path) of an address, compared without case or a trailing slash."""
    try:
        parts = urlsplit((value or "").strip())
        port = parts.port
    except ValueError:
        raise DeliveryFailed(f"“{value}” is not a web address.") from None
    host = (parts.hostname or "").lower()
    if not host or parts.username or parts.password or parts.query or parts.fragment:
        raise DeliveryFailed(f"“{value}” is not the address of a Kestrel (like https://…).")
    shown = f"[{host}]" if ":" in host else host
    return parts.scheme.lower(), f"{shown}:{port}" if port else shown, parts.path.rstrip("/")


def checked_address(value: str) -> str:
    """Another Kestrel's address (its SITE_URL) as compared and used here: https (http only to
    this machine), no query, no credentials, no trailing slash. DeliveryFailed otherwise."""
    scheme, netloc, path = _normal(value)
    host = urlsplit(f"{scheme}://{netloc}").hostname or ""
    if scheme != "https" and not (scheme == "http" and _loopback(host)):
        raise DeliveryFailed(
            f"The Kestrel address “{value}” must start with https:// (a child's file is never "
            "sent over an unencrypted connection)."
        )
    return f"{scheme}://{netloc}{path}"


def own_address() -> str:
    return settings.SITE_URL.rstrip("/")


def same_address(one: str, other: str) -> bool:
    try:
        return _normal(one) == _normal(other)
    except DeliveryFailed:
        return False


def is_here(address: str) -> bool:
    """Whether `address` is this installation's own."""
    return same_address(address, own_address())


def checked_urn(urn) -> str:
    if not isinstance(urn, str) or not 1 <= len(urn) <= 8 or not set(urn) <= URN_CHARACTERS:
        raise DeliveryFailed("A school's URN is up to 8 letters and digits.")
    return urn


def school_here(urn: str) -> School | None:
    """The school of this installation with `urn` (never one of two that share it)."""
    if not urn:
        return None
    schools = list(School.objects.filter(urn=urn)[:2])
    return schools[0] if len(schools) == 1 else None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A Kestrel answers at its own address: a redirect elsewhere is refused, not followed."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _answer_text(error: urllib.error.HTTPError) -> str:
    try:
        text = error.read(600).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text[:300] or f"HTTP {error.code}"


def fetch_keys(address: str, urn: str) -> crypto.PublicKeys:
    """The public keys the Kestrel at `address` publishes for its school `urn`; DeliveryFailed
    with the reason if it cannot be asked or its answer is not that school's keys."""
    address, urn = checked_address(address), checked_urn(urn)
    # checked_address allows https (or http to this machine) only: no file: or other schemes.
    asked = urllib.request.Request(  # noqa: S310
        f"{address}/transfers/keys/{quote(urn)}/",
        headers={"Accept": "application/json", "User-Agent": "Kestrel"},
    )
    try:
        with _opener.open(asked, timeout=KEYS_TIMEOUT) as reply:
            raw = reply.read(SMALL_MAX_BYTES + 1)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            raise DeliveryFailed(
                f"The Kestrel at {address} has no school with URN {urn}."
            ) from None
        raise DeliveryFailed(
            f"The Kestrel at {address} did not give its school's keys ({_answer_text(error)})."
        ) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryFailed(f"The Kestrel at {address} could not be reached ({reason}).") from None
    try:
        keys = crypto.PublicKeys.from_json(json.loads(raw[:SMALL_MAX_BYTES]))
    except (ValueError, crypto.CryptoError):
        raise DeliveryFailed(f"The answer from {address} is not a school's keys.") from None
    if keys.urn != urn:
        raise DeliveryFailed(f"The Kestrel at {address} answered for another school.")
    try:
        said = checked_address(keys.address)
    except DeliveryFailed:
        said = keys.address
    if said != address:
        raise DeliveryFailed(
            f"The Kestrel at {address} gives its address as {keys.address}: record that address "
            "for the school instead."
        )
    return keys


def keys_of_school(address: str, urn: str) -> crypto.PublicKeys:
    """A school's public keys: read here for a school of this installation, else asked of its
    own Kestrel."""
    if is_here(address):
        school = school_here(urn)
        if school is None:
            raise DeliveryFailed(f"This Kestrel has no school with URN {urn}.")
        return crypto.public_keys(school, own_address())
    return fetch_keys(address, urn)


# Sending -----------------------------------------------------------------------------------


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


def _digest_of(file: BinaryIO) -> str:
    file.seek(0)
    digest = hashlib.sha256()
    for piece in iter(lambda: file.read(package.PIECE), b""):
        digest.update(piece)
    file.seek(0)
    return digest.hexdigest()


def _binding(envelope: dict) -> bytes:
    """What the content key is bound to (HPKE's `info`): who sends, to whom, which transfer."""
    return crypto.canonical(
        {
            "sender": {
                "address": envelope["sender"]["address"],
                "urn": envelope["sender"]["urn"],
            },
            "recipient": envelope["recipient"]["urn"],
            "transfer": envelope["transfer"],
        }
    )


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
        zipped, writer, encryption_key_b64=to.encryption, info=_binding(envelope)
    )
    envelope["ciphertext_sha256"] = writer.digest.hexdigest()
    envelope["ciphertext_bytes"] = writer.size
    out.seek(0)
    return crypto.sign(school, crypto.ENVELOPE, envelope)


def _post(url: str, body, headers: dict, timeout: int) -> bytes:
    # `url` is on an address through checked_address: https, or http to this machine.
    asked = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
    with _opener.open(asked, timeout=timeout) as reply:
        return reply.read(SMALL_MAX_BYTES)


def _send_over_http(address: str, signed: bytes, signature: str, cipher: BinaryIO) -> None:
    size = cipher.seek(0, 2)
    cipher.seek(0)
    try:
        _post(
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
        raise DeliveryFailed(
            f"The Kestrel at {address} refused the file: {_answer_text(error)}"
        ) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryFailed(f"The Kestrel at {address} could not be reached ({reason}).") from None


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
        package_sha256 = _digest_of(zipped)
        signed, signature = seal_package(
            school=transfer.school,
            transfer_reference=str(transfer.pk),
            to=to,
            zipped=zipped,
            out=cipher,
        )
        if to.here:
            sender = crypto.public_keys(transfer.school, own_address())
            try:
                receive_envelope(signed, signature, cipher, school=to.school, sender_keys=sender)
            except Refused as refusal:
                raise DeliveryFailed(f"{to.name} refused the file: {refusal.reason}") from None
        else:
            _send_over_http(to.address, signed, signature, cipher)
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


@task
def deliver(delivery_id: int) -> None:
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
        except DeliveryFailed as failure:
            _failed(delivery, str(failure))
        except Exception:
            _failed(delivery, "Kestrel could not send the file (the error is in its log).")
            raise


# Receiving ---------------------------------------------------------------------------------


def read_envelope(signed: bytes) -> dict:
    """The envelope's fields, not yet trusted (the signature is checked once the sender's keys
    are known); Refused if it is not an envelope of a version this Kestrel reads."""
    try:
        envelope = json.loads(signed)
    except (ValueError, UnicodeDecodeError):
        raise Refused(400, "envelope_unreadable", "The envelope is not JSON.") from None
    if not isinstance(envelope, dict) or envelope.get("format") != ENVELOPE_FORMAT:
        raise Refused(400, "envelope_unreadable", "This is not a Kestrel transfer envelope.")
    if envelope.get("version") != VERSION:
        raise Refused(
            400,
            "envelope_version",
            f"The envelope is version {envelope.get('version')!r}; this Kestrel reads version "
            f"{VERSION}.",
        )
    sender, recipient = envelope.get("sender"), envelope.get("recipient")
    fields_ok = (
        isinstance(sender, dict)
        and isinstance(recipient, dict)
        and all(isinstance(sender.get(key), str) for key in ("address", "urn", "name"))
        and isinstance(recipient.get("urn"), str)
        and isinstance(envelope.get("transfer"), str)
        and 0 < len(envelope["transfer"]) <= 64
        and isinstance(envelope.get("sealed_key"), str)
        and isinstance(envelope.get("ciphertext_sha256"), str)
        and isinstance(envelope.get("ciphertext_bytes"), int)
        and envelope.get("suite") == crypto.SUITE_NAME
        and envelope.get("chunk_bytes") == crypto.CHUNK_BYTES
    )
    if not fields_ok:
        raise Refused(400, "envelope_unreadable", "The envelope lacks a field or has a wrong one.")
    return envelope


def _copy(source: BinaryIO, out: BinaryIO, limit: int) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    for piece in iter(lambda: source.read(package.PIECE), b""):
        size += len(piece)
        if size > limit:
            raise Refused(413, "too_large", "The package is larger than this Kestrel takes.")
        digest.update(piece)
        out.write(piece)
    out.seek(0)
    return size, digest.hexdigest()


def receive_envelope(
    signed: bytes,
    signature: str,
    cipher: BinaryIO,
    *,
    school: School,
    sender_keys: crypto.PublicKeys,
) -> tuple[Received, bool]:
    """Checks a package for `school` and hands it to kestrel.transfer_pages.receiving: the
    signature first (with the sender's keys, from its own address), then the ciphertext's digest,
    then decrypts it and checks its records. (the Received, whether it is new). Refused with the
    reason otherwise; nothing is stored."""
    from kestrel.transfer_pages import receiving

    envelope = read_envelope(signed)
    sender = envelope["sender"]
    if (sender["urn"], sender["address"]) != (sender_keys.urn, sender_keys.address):
        raise Refused(403, "sender_mismatch", "The envelope names another school than its keys.")
    try:
        crypto.verify(sender_keys.signing, crypto.ENVELOPE, signed, signature)
    except crypto.CryptoError as error:
        raise Refused(403, "bad_signature", str(error)) from None
    if envelope["recipient"]["urn"] != school.urn:
        raise Refused(404, "unknown_recipient", "The package is for another school.")
    with (
        tempfile.TemporaryFile(prefix="kestrel-inbox-") as copied,
        tempfile.TemporaryFile(prefix="kestrel-inbox-") as zipped,
    ):
        size, digest = _copy(cipher, copied, PACKAGE_MAX_BYTES)
        if size != envelope["ciphertext_bytes"] or digest != envelope["ciphertext_sha256"]:
            raise Refused(
                400, "ciphertext_changed", "The package does not match its signed envelope."
            )
        with scope(school=school.pk):
            existing = Received.objects.filter(
                school=school, from_address=sender["address"], from_transfer=envelope["transfer"]
            ).first()
            if existing is not None:
                return existing, False
            try:
                crypto.unseal(
                    copied,
                    zipped,
                    school=school,
                    sealed_key_b64=envelope["sealed_key"],
                    info=_binding(envelope),
                )
            except crypto.CryptoError as error:
                raise Refused(400, "undecryptable", str(error)) from None
            package_sha256 = _digest_of(zipped)
            try:
                data = package.read(zipped)
            except schema.SchemaError as error:
                raise Refused(422, "schema", str(error)) from None
            except package.PackageError as error:
                raise Refused(400, "package", str(error)) from None
            said = (
                str(data["transfer"].get("reference")),
                data["from_school"].get("urn"),
                data["from_school"].get("address"),
            )
            if said != (envelope["transfer"], sender["urn"], sender["address"]):
                raise Refused(
                    400, "records_mismatch", "The records name another sender than the envelope."
                )
            zipped.seek(0)
            try:
                with transaction.atomic():
                    received = receiving.receive(
                        school=school, data=data, package=zipped, sha256=package_sha256
                    )
            except IntegrityError:  # the same package, received at the same moment
                received = Received.objects.get(
                    school=school,
                    from_address=sender["address"],
                    from_transfer=envelope["transfer"],
                )
                return received, False
    return received, True


def refuse(
    refusal: Refused, *, what: str, request=None, school=None, envelope: dict | None = None
) -> None:
    """Records a refused package or receipt (`what`) in the audit trail, never a child's
    details: why, and who the envelope said it was from."""
    envelope = envelope or {}
    sender = envelope.get("sender") if isinstance(envelope.get("sender"), dict) else {}
    record(
        action=f"transfer.{what}_refused",
        request=request,
        school=school,
        detail={
            "reason": refusal.code,
            "status": refusal.status,
            "from_address": str(sender.get("address", ""))[:200],
            "from_urn": str(sender.get("urn", ""))[:8],
            "transfer": str(envelope.get("transfer", ""))[:64],
        },
    )


def sender_keys_for(envelope: dict) -> crypto.PublicKeys:
    """The keys of the school an envelope (or receipt) says it is from, from that school's own
    address; Refused if they cannot be had."""
    sender = envelope["sender"]
    try:
        return keys_of_school(sender["address"], sender["urn"])
    except DeliveryFailed as failure:
        raise Refused(
            403, "sender_keys", f"The sending school's keys could not be checked: {failure}"
        ) from None


def recipient_here(urn: str) -> School:
    school = school_here(urn) if isinstance(urn, str) else None
    if school is None:
        raise Refused(404, "unknown_recipient", f"This Kestrel has no school with URN {urn}.")
    return school


# Receipts ----------------------------------------------------------------------------------


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
    accepter = received.accepted_by
    return {
        "format": RECEIPT_FORMAT,
        "version": VERSION,
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
        "acknowledged_at": (received.accepted_at or timezone.now()).isoformat(),
    }


@task
def deliver_receipt(received_id: int, attempt: int = 1) -> None:
    """Tells the sending school that its file was accepted here, signed by this school."""
    with in_school_of(Received, received_id):
        received = (
            Received.objects.select_related("school", "accepted_by", "student")
            .filter(pk=received_id, state=ReceivedState.ACCEPTED, receipt_sent_at__isnull=True)
            .first()
        )
        if received is None:  # sent already, or not accepted
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
                _post(
                    f"{address}/transfers/receipts/",
                    json.dumps({"receipt": crypto.b64(signed), "signature": signature}).encode(),
                    {"Content-Type": "application/json", "User-Agent": "Kestrel"},
                    KEYS_TIMEOUT * 3,
                )
        except Refused as refusal:  # here: the same answer the other Kestrel would give
            _receipt_refused(received, refusal.reason)
            return
        except urllib.error.HTTPError as error:
            if 400 <= error.code < 500:
                _receipt_refused(received, _answer_text(error))
            else:
                _retry_receipt(received, attempt, _answer_text(error))
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
                detail={"to_address": received.from_address, "attempt": attempt},
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


def read_receipt(signed: bytes) -> dict:
    """The receipt's fields, not yet trusted; Refused if it is not a receipt this Kestrel reads."""
    try:
        receipt = json.loads(signed)
    except (ValueError, UnicodeDecodeError):
        raise Refused(400, "receipt_unreadable", "The receipt is not JSON.") from None
    if not isinstance(receipt, dict) or receipt.get("format") != RECEIPT_FORMAT:
        raise Refused(400, "receipt_unreadable", "This is not a Kestrel transfer receipt.")
    if receipt.get("version") != VERSION:
        raise Refused(
            400, "receipt_version", "The receipt is of a version this Kestrel does not read."
        )
    sender, recipient, by = (receipt.get(key) for key in ("sender", "recipient", "acknowledged_by"))
    try:
        ok = (
            all(isinstance(sender[key], str) for key in ("address", "urn", "name"))
            and all(isinstance(recipient[key], str) for key in ("address", "urn"))
            and isinstance(receipt["transfer"], str)
            and isinstance(by["name"], str)
            and isinstance(by["role"], str)
            and by["name"].strip()
        )
        at = datetime.datetime.fromisoformat(receipt["acknowledged_at"])
    except (KeyError, TypeError, ValueError):
        ok = False
    if not ok or timezone.is_naive(at):
        raise Refused(400, "receipt_unreadable", "The receipt lacks a field or has a wrong one.")
    return receipt


def take_receipt(signed: bytes, signature: str, *, signer_keys: crypto.PublicKeys) -> Transfer:
    """Records the receiving DSL's acceptance of a file sent from here: only if signed by the
    school the file was sent to. Refused otherwise."""
    receipt = read_receipt(signed)
    sender = receipt["sender"]
    if (sender["urn"], sender["address"]) != (signer_keys.urn, signer_keys.address):
        raise Refused(403, "sender_mismatch", "The receipt names another school than its keys.")
    try:
        crypto.verify(signer_keys.signing, crypto.RECEIPT, signed, signature)
    except crypto.CryptoError as error:
        raise Refused(403, "bad_signature", str(error)) from None
    if not is_here(receipt["recipient"]["address"]):
        raise Refused(404, "unknown_transfer", "The receipt is for another Kestrel.")
    reference = receipt["transfer"]
    school_id = school_id_of(Transfer, int(reference)) if is_id(reference) else None
    unknown = Refused(
        404, "unknown_transfer", "No file was sent from here to that school under that reference."
    )
    if school_id is None:
        raise unknown
    with scope(school=school_id):
        transfer = (
            Transfer.objects.select_related("school", "student", "destination_school")
            .filter(pk=int(reference), route=Route.KESTREL)
            .first()
        )
        if (
            transfer is None
            or transfer.school.urn != receipt["recipient"]["urn"]
            or not _sent_to(transfer, receipt["sender"])
        ):
            raise unknown
        if transfer.state == State.RECEIVED:
            return transfer
        by = receipt["acknowledged_by"]
        try:
            return record_receipt(
                transfer=transfer,
                name=by["name"][:200],
                role=by["role"][:200],
                how="Accepted on Kestrel",
                at=datetime.datetime.fromisoformat(receipt["acknowledged_at"]),
            )
        except NotOpen as refusal:
            raise Refused(409, "not_sent", str(refusal)) from None


def _sent_to(transfer: Transfer, signer: dict) -> bool:
    """Whether the transfer went to the school that signed the receipt."""
    if transfer.destination_school_id is not None:
        return is_here(signer["address"]) and signer["urn"] == transfer.destination_school.urn
    return (
        same_address(transfer.destination_address, signer["address"])
        and transfer.destination_urn == signer["urn"]
    )
