"""Bulk declaration files through the API (``/api/v1/uploads/``): send a file, follow its
processing, read its anomalies. The file is streamed into ``bulk.upload_receive`` — never read
into memory — and answered at once with the technical acknowledgement; the lines are checked
later by the workers, with the same rules as every other channel.

A file is its own idempotency: the same bytes sent again by the same enterprise answer the first
upload (200, ``duplicate``), so this POST needs no Idempotency-Key (fingerprinting a body of
200 MB to honour one would defeat the streaming)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any
from urllib.parse import unquote

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contributions import bulk
from contributions.api import serializers as s
from contributions.api.views import ERROR_RESPONSES
from contributions.models import BulkUpload, Channel
from contributions.types import ANOMALY_MESSAGES
from core.api import ApiError, Pagination, api_actor, error_body
from identity import selectors as identity_selectors
from identity.types import ApiKeyScope

FILE_NAME_HEADER = "X-File-Name"
DEFAULT_FILE_NAME = "declarations.csv"
_BLOCK_BYTES = 64 * 1024
# Room for the multipart envelope around the file itself.
_ENVELOPE_BYTES = 64 * 1024
# A file of the enterprise should have finished by then; the client may ask its status meanwhile.
RETRY_AFTER_SECONDS = 60

# The status of each immediate rejection: the request itself is wrong (400), the file is beyond
# the limits (413: split it), or the enterprise already has its quota of files being processed
# (429 with Retry-After, like the throttle: the same request succeeds later, nothing to change).
REJECTION_STATUS = {
    "no_file": status.HTTP_400_BAD_REQUEST,
    "not_csv": status.HTTP_400_BAD_REQUEST,
    "header": status.HTTP_400_BAD_REQUEST,
    "empty": status.HTTP_400_BAD_REQUEST,
    "too_large": status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    "too_many_lines": status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    "too_many_uploads": status.HTTP_429_TOO_MANY_REQUESTS,
}

_UPLOAD_ID = OpenApiParameter("upload_id", int, OpenApiParameter.PATH, description=_("The upload's id."))


def _reader(request: Request) -> None:
    """Reading the enterprise's files needs either scope: software that sends files follows them."""
    if not api_actor(request).scopes & {ApiKeyScope.READ, ApiKeyScope.DECLARE}:
        raise ApiError("scope_missing", status.HTTP_403_FORBIDDEN)


def _own(request: Request, upload_id: str) -> BulkUpload:
    """One of the key's enterprise's uploads; 404 for anyone else's, as for an id that does not exist."""
    _reader(request)
    return bulk.upload_get(actor=api_actor(request), upload_id=int(upload_id))  # the route admits digits only


def _link(request: Request, name: str, upload_id: int) -> str:
    # The routes take an optional trailing slash; reverse() leaves it out.
    return request.build_absolute_uri(reverse(name, args=[upload_id]) + "/")


def _upload(request: Request, upload: BulkUpload) -> dict[str, Any]:
    return {
        "id": upload.pk,
        "file_name": upload.file_name,
        "size": upload.size,
        "sha256": upload.sha256,
        "format": {
            "encoding": upload.encoding,
            "separator": upload.separator,
            "decimal_mark": upload.decimal_mark,
            "line_ending": upload.line_ending,
        },
        "status": upload.status,
        "received_at": upload.created_at,
        "links": {
            "status": _link(request, "api_upload", upload.pk),
            "anomalies": _link(request, "api_upload_anomalies", upload.pk),
        },
    }


def _rejected(rejected: bulk.UploadRejected) -> Response:
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if rejected.code == "too_many_uploads" else None
    return Response(
        error_body(rejected.code, message=rejected.message), status=REJECTION_STATUS[rejected.code], headers=headers
    )


def _body_blocks(stream: IO[bytes] | None) -> Iterator[bytes]:
    if stream is None:  # no body at all
        return
    while block := stream.read(_BLOCK_BYTES):
        yield block


def _content_length(request: Request) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


_REJECTIONS = {
    code: OpenApiResponse(s.ErrorSerializer, description=description)
    for code, description in (
        (
            400,
            _(
                "Refused at once, nothing stored: no file (no_file), not a UTF-8 CSV text (not_csv), a wrong "
                "header row (header), no line to declare (empty), a multipart body that cannot be read "
                "(malformed_request)."
            ),
        ),
        (
            413,
            _(
                "Refused at once, nothing stored: the file is beyond the limit of bytes (too_large) or of lines "
                "(too_many_lines): split it."
            ),
        ),
        (
            415,
            _("The body is neither multipart/form-data nor text/csv (unsupported_media_type)."),
        ),
        (
            429,
            _(
                "Too many requests (throttled), or too many of the enterprise's files are still being processed "
                "(too_many_uploads): send it again after Retry-After."
            ),
        ),
    )
}


class UploadListApi(GenericAPIView):
    # Only multipart bodies are parsed by DRF; a text/csv body is read as a stream by the view.
    parser_classes = [MultiPartParser]
    pagination_class = Pagination
    serializer_class = s.UploadSummarySerializer

    @extend_schema(
        operation_id="uploads_list",
        summary=_("The enterprise's bulk declaration files"),
        description=_(
            "Every file sent with a key of the enterprise, newest first. Needs the read or the declare scope."
        ),
        responses={200: s.UploadSummarySerializer(many=True), **ERROR_RESPONSES},
        tags=["uploads"],
    )
    def get(self, request: Request) -> Response:
        _reader(request)
        page = self.paginate_queryset(bulk.upload_queryset(actor=api_actor(request)))
        assert page is not None
        body = [
            {
                **_upload(request, upload),
                "lines_total": upload.lines_total,
                "errors": upload.errors,
                "warnings": upload.warnings,
                "declarations": upload.declarations,
                "finished_at": upload.finished_at,
            }
            for upload in page
        ]
        return self.get_paginated_response(s.UploadSummarySerializer(body, many=True).data)

    @extend_schema(
        operation_id="uploads_create",
        summary=_("Send a bulk declaration file"),
        description=_(
            "One CSV file for any number of employers and periods (the key's enterprise and the employers "
            "that mandated it to declare), within the limits of size and lines given on the format page. Send "
            "it as multipart/form-data with a "
            "field named file, or as the request body with Content-Type: text/csv (its name in the X-File-Name "
            "header). The answer comes at once, before any line is checked: 202 with the technical "
            "acknowledgement (size, SHA-256, the format detected) and the links to follow the processing; the "
            "lines are then checked, and the file is accepted as a whole or rejected as a whole. No "
            "Idempotency-Key is needed: the file's SHA-256 is its idempotency. The same file sent again by "
            "the enterprise answers 200 with the first upload (duplicate=true) and stores nothing. A file that "
            "cannot be a declaration file is refused at once with its code, and nothing is stored. Needs the "
            "declare scope."
        ),
        parameters=[
            OpenApiParameter(
                FILE_NAME_HEADER,
                str,
                OpenApiParameter.HEADER,
                required=False,
                description=_(
                    "With a text/csv body: the file's name (percent-encoded UTF-8 is decoded); "
                    "declarations.csv if absent."
                ),
            )
        ],
        request={"multipart/form-data": s.UploadInputSerializer, "text/csv": OpenApiTypes.BINARY},
        responses={
            202: OpenApiResponse(
                s.UploadReceiptSerializer, description=_("Received: the acknowledgement; the lines are checked next.")
            ),
            200: OpenApiResponse(
                s.UploadReceiptSerializer,
                description=_("The same file was already received: its first upload (duplicate=true)."),
            ),
            **ERROR_RESPONSES,
            **_REJECTIONS,
        },
        tags=["uploads"],
    )
    def post(self, request: Request) -> Response:
        actor = api_actor(request)
        if ApiKeyScope.DECLARE not in actor.scopes:
            raise ApiError("scope_missing", status.HTTP_403_FORBIDDEN)
        media_type = (request.content_type or "").split(";", 1)[0].strip().lower()
        length = _content_length(request)
        try:
            if media_type == "text/csv":
                if length is not None and length > settings.BULK_MAX_BYTES:
                    # Refused before reading the body: nothing of it is stored.
                    raise bulk.rejection("too_large")
                name = unquote(request.headers.get(FILE_NAME_HEADER, ""), errors="replace")
                chunks: Any = _body_blocks(request.stream)
                size = length
            elif media_type == "multipart/form-data":
                if length is not None and length > settings.BULK_MAX_BYTES + _ENVELOPE_BYTES:
                    raise bulk.rejection("too_large")
                try:
                    received = request.FILES.get("file")
                except ParseError:
                    return Response(
                        error_body("malformed_request", message=str(_("The multipart body could not be read."))),
                        status=status.HTTP_400_BAD_REQUEST,
                    )
                if received is None:
                    raise bulk.rejection("no_file")
                name, chunks, size = received.name or "", received.chunks(), received.size
            else:
                return Response(
                    error_body(
                        "unsupported_media_type",
                        message=str(
                            _(
                                "Send the file as multipart/form-data (a field named file) or as the request "
                                "body with Content-Type: text/csv."
                            )
                        ),
                    ),
                    status=status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                )
            receipt = bulk.upload_receive(
                actor=actor,
                name=name or DEFAULT_FILE_NAME,
                chunks=chunks,
                size=size,
                channel=Channel.API,
                now=timezone.now(),
            )
        except bulk.UploadRejected as rejected:
            return _rejected(rejected)
        body = s.UploadReceiptSerializer({**_upload(request, receipt.upload), "duplicate": receipt.duplicate}).data
        if receipt.duplicate:
            return Response(body, status=status.HTTP_200_OK)
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["links"]["status"]})


class UploadDetailApi(APIView):
    @extend_schema(
        operation_id="uploads_get",
        summary=_("Where a bulk declaration file stands"),
        description=_(
            "Its status (received, processing, accepted, rejected), the lines checked so far, the errors and "
            "warnings found, and the totals per employer and period. Poll it until the status is accepted or "
            "rejected. Needs the read or the declare scope."
        ),
        parameters=[_UPLOAD_ID],
        responses={
            200: OpenApiResponse(response=s.UploadDetailSerializer, description=_("Where the file stands.")),
            **ERROR_RESPONSES,
        },
        tags=["uploads"],
    )
    def get(self, request: Request, upload_id: str) -> Response:
        upload = _own(request, upload_id)
        progress = bulk.upload_progress(upload=upload)
        totals = bulk.upload_totals(upload=upload)
        numbers = {
            summary.id: summary.enterprise_number
            for summary in identity_selectors.enterprise_summaries(
                enterprise_ids=sorted({total.enterprise_id for total in totals})
            )
        }
        body = {
            **_upload(request, upload),
            "progress": {
                "lines_total": progress.lines_total,
                "lines_done": progress.lines_done,
                "percent": progress.percent,
            },
            "errors": progress.errors,
            "warnings": progress.warnings,
            "declarations": upload.declarations,
            "finished_at": upload.finished_at,
            "totals": [
                {
                    "employer_number": numbers.get(total.enterprise_id, total.enterprise_number),
                    "employer_name": total.enterprise_name,
                    "period": total.period,
                    "lines": total.lines,
                    "total_wages": total.total_wages,
                    "contributions": total.contributions,
                    "declaration_reference": total.declaration_reference or None,
                }
                for total in totals
            ],
        }
        return Response(s.UploadDetailSerializer(body).data)


class UploadAnomalyListApi(GenericAPIView):
    pagination_class = Pagination
    serializer_class = s.UploadAnomalySerializer

    @extend_schema(
        operation_id="uploads_anomalies",
        summary=_("The anomalies of a bulk declaration file"),
        description=_(
            "Every error and warning found in the file, by line (those of an employer's period first), with "
            "its code and its message in the request's language. Needs the read or the declare scope."
        ),
        parameters=[_UPLOAD_ID],
        responses={200: s.UploadAnomalySerializer(many=True), **ERROR_RESPONSES},
        tags=["uploads"],
    )
    def get(self, request: Request, upload_id: str) -> Response:
        upload = _own(request, upload_id)
        page = self.paginate_queryset(bulk.upload_anomalies(upload=upload))
        assert page is not None
        body = [
            {
                "line": anomaly.line_number,
                "field": anomaly.field,
                "employer_number": anomaly.employer_number,
                "period": anomaly.period,
                "code": anomaly.code,
                "severity": anomaly.severity,
                "message": str(ANOMALY_MESSAGES.get(anomaly.code, anomaly.code)),
            }
            for anomaly in page
        ]
        return self.get_paginated_response(s.UploadAnomalySerializer(body, many=True).data)
