from __future__ import annotations

from collections.abc import Iterable

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import detail_shown
from core.backoffice import PersonalDataAdmin, ReadOnlyModelAdmin
from core.documents import document_revoke
from core.models import AccessRecord, VerifiableDocument
from core.types import DocumentSubject


@admin.register(AccessRecord)
class AccessRecordAdmin(PersonalDataAdmin, ReadOnlyModelAdmin):
    """Read-only: the security officer audits; nobody edits the trail. Reading whose data was
    read is itself a read of that person's data (and of the reader's, when they are a person)."""

    person_fields = ("subject_person_id", "actor_user.person_id")

    list_display = ["at", "actor_user", "subject_person", "purpose", "detail_text"]
    list_filter = ["purpose"]
    search_fields = ["actor_user__email", "=subject_person__national_number"]
    list_select_related = ["actor_user", "subject_person"]
    date_hierarchy = "at"
    fields = readonly_fields = ("at", "actor_user", "subject_person", "purpose", "detail_text", "mandate_id")

    @admin.display(description=_("detail"))
    def detail_text(self, record: AccessRecord) -> str:
        """What was read or changed, in the reader's language (the fields a change named, a
        page read), or the reason given at the counter."""
        return detail_shown(purpose=record.purpose, detail=record.detail)


@admin.register(VerifiableDocument)
class VerifiableDocumentAdmin(PersonalDataAdmin, ReadOnlyModelAdmin):
    """Issued documents, read-only; staff may only withdraw one (its code stops verifying). A
    person's document (a contribution statement) is a read of that person's data."""

    def persons_shown(self, rows: Iterable[VerifiableDocument]) -> list[int]:
        return list(dict.fromkeys(row.subject_id for row in rows if row.subject_type == DocumentSubject.PERSON))

    list_display = ["issued_at", "kind", "code_prefix", "holder_name_masked", "valid_until", "revoked_at"]
    list_filter = ["kind", "subject_type"]
    search_fields = ["=code_prefix", "=subject_id"]
    date_hierarchy = "issued_at"
    actions = ["revoke"]

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("core.change_verifiabledocument")

    @admin.action(description=_("Revoke the selected documents"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[VerifiableDocument]) -> None:
        now = timezone.now()
        revoked = sum(document_revoke(document_id=pk, now=now) for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, _("Documents revoked: %(count)d.") % {"count": revoked})
