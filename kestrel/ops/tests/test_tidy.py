"""`manage.py tidy` removes only what was left unfinished."""

import datetime

import time_machine
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from kestrel.files.models import Attachment
from kestrel.files.services import attach, store_upload
from kestrel.incidents.drafts import save_draft
from kestrel.incidents.models import Draft
from kestrel.testing.factories import IncidentFactory, StudentFactory

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


class Post(dict):
    def getlist(self, key):
        value = self.get(key, [])
        return value if isinstance(value, list) else [value]


def test_unsubmitted_uploads_and_stale_drafts_go_and_attached_files_stay(people, school):
    three_days_ago = timezone.now() - datetime.timedelta(days=3)
    with time_machine.travel(three_days_ago):
        orphan = store_upload(actor=people.teacher, upload=SimpleUploadedFile("a.pdf", PDF))
        kept = store_upload(actor=people.teacher, upload=SimpleUploadedFile("b.pdf", PDF))
        incident = IncidentFactory(student=StudentFactory(school=school), reporter=people.teacher)
        attach(actor=people.teacher, ids=[kept.pk], incident=incident)
    with time_machine.travel(timezone.now() - datetime.timedelta(days=31)):
        save_draft(actor=people.teacher, post=Post(submission="old", text="typed long ago"))
    save_draft(actor=people.teacher, post=Post(submission="new", text="typed today"))
    fresh = store_upload(actor=people.teacher, upload=SimpleUploadedFile("c.pdf", PDF))

    call_command("tidy")

    assert set(Attachment.objects.values_list("pk", flat=True)) == {kept.pk, fresh.pk}
    assert not default_storage.exists(orphan.stored_name)
    assert default_storage.exists(kept.stored_name)
    assert list(Draft.objects.values_list("submission", flat=True)) == ["new"]
