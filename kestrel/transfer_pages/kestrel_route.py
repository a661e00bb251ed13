"""The route to a school on Kestrel: the DSL's button and confirmation on the transfer page, and
the three addresses another Kestrel calls (no one signs in to them): a school's public keys, the
inbox for packages and the receipts for files sent from here (kestrel.transfer_pages.delivery)."""

import base64
import binascii
import json

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from kestrel.access.decorators import requires
from kestrel.access.policy import PUBLIC
from kestrel.audit.services import record
from kestrel.students.names import NamesShown
from kestrel.transfer_pages import crypto, delivery, kestrel_inbox, kestrel_peers
from kestrel.transfer_pages.doors import get_transfer_for_user
from kestrel.transfer_pages.kestrel_peers import DeliveryFailed, Refused
from kestrel.transfer_pages.rate_limits import per_ip
from kestrel.transfers.services import NotLeft, NotOpen, check_can_send


def _transfer_for(request, pk):
    """The transfer `pk` of the user's school, once the door lets them open its child's case
    file (kestrel.transfer_pages.doors)."""
    return get_transfer_for_user(request, pk)


@requires("keep_case_file")
@require_POST
def send(request, pk):
    """Send to a school on Kestrel. First press: the receiving school as its Kestrel names it,
    to confirm. Second (`confirm`): the file is queued to be sent, and the transfer page shows
    how it goes."""
    transfer = _transfer_for(request, pk)
    label = NamesShown.of(request).label(transfer.student)
    context = {"transfer": transfer, "student": transfer.student, "label": label}
    try:
        check_can_send(transfer)
        to = delivery.destination(transfer)
    except (NotLeft, NotOpen, DeliveryFailed) as refusal:
        record(
            action="transfer.kestrel_send_refused",
            request=request,
            obj=transfer,
            student=transfer.student,
            detail={"reason": type(refusal).__name__},
        )
        return render(
            request,
            "transfer_pages/kestrel_confirm.html",
            {**context, "refusal": str(refusal)},
            status=409,
        )
    if request.POST.get("confirm") == "yes":
        if to.signing and (request.POST.get("signing_key"), request.POST.get("encryption_key")) != (
            to.signing,
            to.encryption,
        ):
            # The school's keys changed between the two presses: show the school again.
            context["changed"] = True
        else:
            delivery.request_delivery(
                transfer=transfer, actor=request.user, confirmed=to, request=request
            )
            return redirect("transfer_pages:transfer", pk=transfer.pk)
    record(
        action="transfer.kestrel_send_viewed",
        request=request,
        obj=transfer,
        student=transfer.student,
        detail={"to_urn": to.urn, "to_address": to.address or "this Kestrel"},
    )
    return render(request, "transfer_pages/kestrel_confirm.html", {**context, "to": to})


@requires("keep_case_file")
@require_GET
def status(request, pk):
    """The state of sending to a school on Kestrel, polled by htmx while it is under way."""
    transfer = _transfer_for(request, pk)
    latest = delivery.latest_delivery(transfer)
    if request.htmx and not (latest and latest.is_working):
        # Sent or not: the whole transfer page changes (its state, its log), not only this part.
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    try:
        check_can_send(transfer)
        can_send, send_refusal = True, ""
    except (NotLeft, NotOpen) as refusal:
        can_send, send_refusal = False, str(refusal)
    return render(
        request,
        "transfer_pages/_kestrel_status.html",
        {
            "transfer": transfer,
            "student": transfer.student,
            "can_send": can_send,
            "send_refusal": send_refusal,
        },
    )


@requires(PUBLIC)
@require_GET
@per_ip("transfer_keys.ip")
def keys(request, urn):
    """A school's public keys, for another Kestrel sending it a file or a receipt."""
    school = kestrel_peers.school_here(urn)
    if school is None:
        raise Http404("No school with that URN")
    published = crypto.public_keys(school, kestrel_peers.own_address())
    response = JsonResponse(published.as_json())
    response["Cache-Control"] = "no-cache"
    return response


def _refused(refusal: Refused, request, *, what: str, school=None, envelope=None) -> HttpResponse:
    kestrel_inbox.refuse(refusal, what=what, request=request, school=school, envelope=envelope)
    response = HttpResponse(
        refusal.reason, status=refusal.status, content_type="text/plain; charset=utf-8"
    )
    if refusal.status == 503:
        response["Retry-After"] = "30"
    return response


def _unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise Refused(400, "envelope_unreadable", "The envelope is not base64.") from None


@csrf_exempt
@requires(PUBLIC)
@require_POST
@per_ip("transfer_inbox.ip")
def inbox(request):
    """A package from another Kestrel: its envelope and signature in headers, the ciphertext as
    the body. Refused (4xx, a plain reason, recorded) unless it is for a school here, signed by
    the school it names (keys from that school's own address), unchanged, and readable."""
    envelope, school = None, None
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > kestrel_inbox.PACKAGE_MAX_BYTES:
            raise Refused(413, "too_large", "The package is larger than this Kestrel takes.")
        signed = _unb64(request.headers.get("Kestrel-Envelope", ""))
        signature = request.headers.get("Kestrel-Signature", "")
        envelope = kestrel_inbox.read_envelope(signed)
        school = kestrel_inbox.recipient_here(envelope["recipient"]["urn"])
        sender_keys = kestrel_inbox.sender_keys_for(envelope)
        received, new = kestrel_inbox.receive_envelope(
            signed, signature, request, school=school, sender_keys=sender_keys
        )
    except Refused as refusal:
        return _refused(refusal, request, what="package", school=school, envelope=envelope)
    # The digest of the package kept: sent again after a lost answer, the sender records it.
    return JsonResponse(
        {"received": "new" if new else "already", "sha256": received.sha256},
        status=201 if new else 200,
    )


@csrf_exempt
@requires(PUBLIC)
@require_POST
@per_ip("transfer_receipts.ip")
def receipts(request):
    """A receipt from the school a file was sent to, signed by it: recorded on the transfer."""
    receipt = None
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > kestrel_peers.SMALL_MAX_BYTES:
            raise Refused(413, "too_large", "The receipt is too large.")
        try:
            body = json.loads(request.body)
            signed = _unb64(body["receipt"])
            signature = body["signature"]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise Refused(400, "receipt_unreadable", "The receipt is not JSON.") from None
        receipt = kestrel_inbox.read_receipt(signed)
        signer_keys = kestrel_inbox.sender_keys_for(receipt)
        kestrel_inbox.take_receipt(signed, signature, signer_keys=signer_keys)
    except Refused as refusal:
        return _refused(refusal, request, what="receipt", envelope=receipt)
    return JsonResponse({"recorded": True})
