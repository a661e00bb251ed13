"""What another Kestrel sends here: a package for one of this installation's schools, and a
receipt for a file sent from here. Each is checked against the keys of the school it says it is
from, asked of that school's own Kestrel (kestrel.transfer_pages.kestrel_peers), before anything
else in it is read; a package is then decrypted, checked and handed to
kestrel.transfer_pages.receiving. Their formats are described in kestrel.transfer_pages.delivery.
"""

import datetime
import hashlib
import json
import tempfile
from typing import BinaryIO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from kestrel.audit.services import record
from kestrel.faults import pause_point
from kestrel.ids import is_id
from kestrel.schools.models import School
from kestrel.schools.scope import school_id_of, scope
from kestrel.transfer_pages import crypto, package
from kestrel.transfer_pages.kestrel_peers import (
    DeliveryFailed,
    Refused,
    Unreachable,
    is_here,
    keys_of_school,
    same_address,
    school_here,
)
from kestrel.transfers import schema
from kestrel.transfers.models import Received, ReceivedState, Route, State, Transfer
from kestrel.transfers.services import NotOpen, record_receipt, record_refusal

ENVELOPE_FORMAT = "kestrel-transfer-envelope"
RECEIPT_FORMAT = "kestrel-transfer-receipt"
VERSION = 1
# A receipt of version 1 says the file was accepted; version 2 adds its outcome ("accepted" or
# "refused", with the receiving DSL's reason), so a refusal is never read as an acceptance by a
# Kestrel that reads version 1 only (it refuses it instead). Acceptances are still sent as 1.
RECEIPT_VERSIONS = (1, 2)
ACCEPTED, REFUSED = "accepted", "refused"
# The largest package this Kestrel takes (its ciphertext).
PACKAGE_MAX_BYTES = getattr(settings, "TRANSFER_PACKAGE_MAX_MB", 1024) * 1024 * 1024


def digest_of(file: BinaryIO) -> str:
    file.seek(0)
    digest = hashlib.sha256()
    for piece in iter(lambda: file.read(package.PIECE), b""):
        digest.update(piece)
    file.seek(0)
    return digest.hexdigest()


def binding(envelope: dict) -> bytes:
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


# Packages ----------------------------------------------------------------------------------


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
        pause_point("package_arriving")  # the fault tests kill the receiving Kestrel here
        with scope(school=school.pk):
            existing = Received.objects.filter(
                school=school, from_address=sender["address"], from_transfer=envelope["transfer"]
            ).first()
            if existing is not None:
                if existing.state == ReceivedState.REFUSED:
                    raise Refused(
                        409,
                        "refused_before",
                        "This school refused this file already (the child is not its pupil): "
                        "check where the child has gone.",
                    )
                return existing, False
            try:
                crypto.unseal(
                    copied,
                    zipped,
                    school=school,
                    sealed_key_b64=envelope["sealed_key"],
                    info=binding(envelope),
                )
            except crypto.CryptoError as error:
                raise Refused(400, "undecryptable", str(error)) from None
            package_sha256 = digest_of(zipped)
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
    pause_point("package_stored")  # ... and here: kept, the sender not yet answered
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
    except Unreachable as failure:
        # Most often the sending Kestrel restarting: its worker sends before its web server
        # answers. 503 tells it to try again shortly rather than give up.
        raise Refused(
            503, "sender_keys", f"The sending school's keys could not be checked: {failure}"
        ) from None
    except DeliveryFailed as failure:  # a refused address, a wrong answer: trying again won't do
        raise Refused(
            403, "sender_keys", f"The sending school's keys could not be checked: {failure}"
        ) from None


def recipient_here(urn: str) -> School:
    school = school_here(urn) if isinstance(urn, str) else None
    if school is None:
        raise Refused(404, "unknown_recipient", f"This Kestrel has no school with URN {urn}.")
    return school


# Receipts ----------------------------------------------------------------------------------


def read_receipt(signed: bytes) -> dict:
    """The receipt's fields, not yet trusted; Refused if it is not a receipt this Kestrel reads."""
    try:
        receipt = json.loads(signed)
    except (ValueError, UnicodeDecodeError):
        raise Refused(400, "receipt_unreadable", "The receipt is not JSON.") from None
    if not isinstance(receipt, dict) or receipt.get("format") != RECEIPT_FORMAT:
        raise Refused(400, "receipt_unreadable", "This is not a Kestrel transfer receipt.")
    if receipt.get("version") not in RECEIPT_VERSIONS:
        raise Refused(
            400, "receipt_version", "The receipt is of a version this Kestrel does not read."
        )
    if receipt["version"] == 1:
        receipt["outcome"], receipt["reason"] = ACCEPTED, ""
    elif receipt.get("outcome") not in (ACCEPTED, REFUSED) or not isinstance(
        receipt.get("reason", ""), str
    ):
        raise Refused(400, "receipt_unreadable", "The receipt's outcome is not one this reads.")
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
        by = receipt["acknowledged_by"]
        at = datetime.datetime.fromisoformat(receipt["acknowledged_at"])
        try:
            if receipt["outcome"] == REFUSED:
                return record_refusal(
                    transfer=transfer,
                    name=by["name"][:200],
                    role=by["role"][:200],
                    reason=receipt.get("reason") or "",
                    at=at,
                )
            if transfer.state == State.RECEIVED:
                return transfer
            return record_receipt(
                transfer=transfer,
                name=by["name"][:200],
                role=by["role"][:200],
                how="Accepted on Kestrel",
                at=at,
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
