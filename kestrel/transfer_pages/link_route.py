"""The download-link route's pages.

The sender (a key holder with their key unlocked): send a link to the receiving DSL's email
address, see what happened to it, withdraw it. The receiving DSL (no sign-in: a school without
Kestrel): open the link, have a one-time code emailed, give it, say who they are, download the
file and confirm receipt. A link that does not open is refused with a plain page, and recorded.
"""

from contextlib import nullcontext
from functools import wraps

from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.http import require_http_methods, require_POST

from kestrel import notices
from kestrel.access.decorators import requires
from kestrel.access.policy import PUBLIC
from kestrel.audit.services import record
from kestrel.exports import storage
from kestrel.exports.models import State as ExportState
from kestrel.schools.scope import scope
from kestrel.students.names import NamesShown
from kestrel.transfer_pages import links
from kestrel.transfer_pages.doors import get_transfer_for_user
from kestrel.transfer_pages.link_forms import CodeForm, RecipientForm, SendLinkForm
from kestrel.transfer_pages.models import Download
from kestrel.transfer_pages.rate_limits import per_ip
from kestrel.transfers.models import Transfer
from kestrel.transfers.services import NotLeft, NotOpen

# The sender's side.


def _transfer(request, pk) -> Transfer:
    return get_transfer_for_user(request, pk)


def _send_refusal(transfer: Transfer) -> str:
    try:
        links.check_can_send_link(transfer)
    except (NotLeft, NotOpen, links.CannotSend) as refusal:
        return str(refusal)
    return ""


@requires("keep_case_file")
@require_http_methods(["GET", "POST"])
def send_link(request, pk):
    """Send a download link: the receiving DSL's email address (the transfer's, to start with)
    and name; the link is emailed and the transfer recorded as sent. Also shows the links sent
    so far. Refused before the child has left."""
    transfer = _transfer(request, pk)
    refusal = _send_refusal(transfer)
    form = SendLinkForm(
        request.POST or None, initial={"email": transfer.destination_email}, auto_id="link-%s"
    )
    if request.method == "POST" and not refusal and form.is_valid():
        try:
            link = links.send_link(
                transfer=transfer,
                actor=request.user,
                email=form.cleaned_data["email"],
                name=form.cleaned_data["name"],
                request=request,
            )
        except (NotLeft, NotOpen, links.CannotSend) as refused:
            refusal = str(refused)
        else:
            notices.success(
                request,
                f"The download link is being emailed to {link.email}. It works for 14 days. "
                "The code to open it is emailed to them separately when they ask for it.",
            )
            return redirect("transfer_pages:transfer", pk=transfer.pk)
    record(
        action="transfer.form_viewed",
        request=request,
        obj=transfer,
        student=transfer.student,
        detail={"page": "link_send"},
    )
    export = transfer.export
    return render(
        request,
        "transfer_pages/link_send.html",
        {
            "transfer": transfer,
            "student": transfer.student,
            "label": NamesShown.of(request).label(transfer.student),
            "form": form,
            "link_form": form,
            "can_send": not refusal,
            "send_refusal": refusal,
            "export_ready": bool(
                export and export.state == ExportState.DONE and export.stored_name
            ),
        },
    )


@requires("keep_case_file")
@require_POST
def withdraw_link(request, pk):
    """Withdraw the link: it opens no more (a new one can be sent)."""
    transfer = _transfer(request, pk)
    live = links.live_link(transfer)
    if live is not None:
        links.withdraw(link=live, actor=request.user, request=request)
        notices.success(
            request, "The download link has been withdrawn: it no longer opens the file."
        )
    return redirect("transfer_pages:transfer", pk=transfer.pk)


# The receiving DSL's side: public pages, each at the link's token.

REFUSED_STATUS = {"unknown": 404, "withdrawn": 410, "locked": 410, "expired": 410}


def _refused(request, link, reason: str):
    links.record_refused(link=link, reason=reason, request=request)
    return render(
        request,
        "transfer_pages/link_refused.html",
        {"reason": reason, "from_school": link.school if link else None},
        status=REFUSED_STATUS[reason],
    )


def _no_store(response):
    # The pages hold a child's details once the code is given: no cache may keep them.
    add_never_cache_headers(response)
    patch_cache_control(response, no_store=True, private=True)
    return response


def _at_link(needs: str = ""):
    """A page of the link at `token`: refused (and recorded) unless the link is live; run in
    the link's school's scope. `needs="grant"`: this browser gave the right code (else back to
    the link's first page); `needs="named"`: and its person said who they are."""

    def decorate(view):
        @requires(PUBLIC)
        @per_ip("transfer_link.ip")  # besides each link's own limits (kestrel.transfer_pages.links)
        @wraps(view)
        def page(request, token, *args, **kwargs):
            link = links.find_link(token)
            # An unknown link names no school: its refusal is recorded with none.
            with scope(school=link.school_id) if link is not None else nullcontext():
                reason = "unknown" if link is None else link.refusal()
                if reason:
                    return _no_store(_refused(request, link, reason))
                grant = links.grant_for(request, link) if needs else None
                if needs and grant is None:
                    return _no_store(redirect("transfer_pages:link_open", token=token))
                if needs == "named" and grant.named_at is None:
                    return _no_store(redirect("transfer_pages:link_name", token=token))
                if needs:
                    kwargs["grant"] = grant
                return _no_store(view(request, token, link, *args, **kwargs))

        return page

    return decorate


def _onward(token, grant):
    return redirect(
        "transfer_pages:link_file" if grant.named_at else "transfer_pages:link_name", token=token
    )


@require_http_methods(["GET"])
@_at_link()
def link_open(request, token, link):
    """The link's first page: who sent a file and to which address (not the child's name),
    and "Email me a code"."""
    links.record_opened(link=link, request=request)
    grant = links.grant_for(request, link)
    if grant is not None:
        return _onward(token, grant)
    return _open_page(request, token, link)


def _open_page(request, token, link, *, limited: bool = False):
    return render(
        request,
        "transfer_pages/link_open.html",
        {
            "token": token,
            "link": link,
            "from_school": link.school,
            "limited": limited,
            "code_waiting": link.codes.filter(
                used_at__isnull=True, replaced_at__isnull=True
            ).exists(),
        },
        status=429 if limited else 200,
    )


@require_POST
@_at_link()
def link_email_code(request, token, link):
    """Emails a one-time code to the link's address (a few an hour at most)."""
    if links.send_code(link=link, request=request) is None:
        return _open_page(request, token, link, limited=True)
    return redirect("transfer_pages:link_code", token=token)


CODE_REFUSALS = {
    "used": "That code has been used already. Ask for a new code.",
    "replaced": "That code has been replaced by a newer one. Use the code in the newest email "
    "from us, or ask for a new code.",
    "expired": "That code has expired: codes work for 30 minutes. Ask for a new code.",
}


@require_http_methods(["GET", "POST"])
@_at_link()
def link_code(request, token, link):
    """Enter the code: right, and this browser may use the link; wrong, refused and recorded
    (too many wrong codes lock the link)."""
    grant = links.grant_for(request, link)
    if grant is not None:
        return _onward(token, grant)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        checked = links.check_code(link=link, code=form.cleaned_data["code"], request=request)
        if checked.ok:
            links.remember_grant(request, link, checked.grant_secret)
            return redirect("transfer_pages:link_name", token=token)
        if checked.reason == "locked":
            return _refused(request, link, "locked")
        if checked.reason == "wrong":
            tries = "1 more try" if checked.wrong_left == 1 else f"{checked.wrong_left} more tries"
            form.add_error(
                "code",
                f"That code is not right. Check the newest email from us and type the code "
                f"again. You have {tries} before the link is locked.",
            )
        else:
            form.add_error("code", CODE_REFUSALS[checked.reason])
    return render(
        request,
        "transfer_pages/link_code.html",
        {"token": token, "link": link, "from_school": link.school, "form": form},
    )


@require_http_methods(["GET", "POST"])
@_at_link(needs="grant")
def link_name(request, token, link, grant):
    """Who is downloading: full name, role and school, recorded with every download and with
    the confirmation of receipt."""
    initial = {"name": grant.name, "role": grant.role, "school_name": grant.school_name}
    if not grant.named_at:
        initial["school_name"] = link.transfer.destination_name
    form = RecipientForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        links.name_recipient(
            grant=grant,
            name=form.cleaned_data["name"],
            role=form.cleaned_data["role"],
            school_name=form.cleaned_data["school_name"],
            request=request,
        )
        return redirect("transfer_pages:link_file", token=token)
    return render(
        request,
        "transfer_pages/link_name.html",
        {"token": token, "link": link, "from_school": link.school, "form": form},
    )


def _file_page(request, token, link, grant, *, error: str = "", status: int = 200):
    transfer = link.transfer
    return render(
        request,
        "transfer_pages/link_file.html",
        {
            "token": token,
            "link": link,
            "grant": grant,
            "from_school": link.school,
            "transfer": transfer,
            "child": transfer.student,
            "export": link.export,
            "sender": link.created_by,
            "error": error,
        },
        status=status,
    )


@require_http_methods(["GET"])
@_at_link(needs="named")
def link_file(request, token, link, grant):
    """The file: whose it is, the downloads, and "Confirm receipt"."""
    links.record_file_viewed(grant=grant, request=request)
    return _file_page(request, token, link, grant)


def _download(request, link, grant, what: str):
    export = link.export
    files = what == Download.FILES
    name = export.files_stored_name if files else export.stored_name
    if not name:
        return render(
            request,
            "transfer_pages/link_refused.html",
            {"reason": "gone", "from_school": link.school},
            status=410,
        )
    links.record_download(grant=grant, what=what, request=request)
    response = StreamingHttpResponse(
        storage.pieces(name), content_type="application/zip" if files else "application/pdf"
    )
    response["Content-Length"] = str(export.files_size if files else export.size)
    day = link.created_at.date().isoformat()
    suffix = "-attached-files.zip" if files else ".pdf"
    response["Content-Disposition"] = f'attachment; filename="child-protection-file-{day}{suffix}"'
    return response


@require_http_methods(["GET"])
@_at_link(needs="named")
def link_download(request, token, link, grant):
    """The PDF of the whole file; the download is recorded with the name given."""
    return _download(request, link, grant, Download.PDF)


@require_http_methods(["GET"])
@_at_link(needs="named")
def link_download_files(request, token, link, grant):
    """The ZIP of the file's attached documents; recorded with the name given."""
    return _download(request, link, grant, Download.FILES)


@require_POST
@_at_link(needs="named")
def link_confirm(request, token, link, grant):
    """The named person confirms that they, the receiving DSL, have received the file."""
    if not links.has_downloaded_file(link):
        return _file_page(
            request,
            token,
            link,
            grant,
            error="Download the file (PDF) first: you are confirming that you have received it.",
            status=400,
        )
    try:
        links.confirm_receipt(grant=grant, request=request)
    except NotOpen as refused:
        return _file_page(request, token, link, grant, error=str(refused), status=400)
    notices.success(
        request,
        f"Thank you. {link.school.name} can now see that you have received the file.",
    )
    return redirect("transfer_pages:link_file", token=token)
