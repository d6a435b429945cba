"""Input and output shapes of the contributions API (thin: every rule is in the services)."""

from __future__ import annotations

from django.conf import settings
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from contributions.models import UploadStatus
from contributions.types import (
    ANOMALY_MESSAGES,
    EMPLOYMENT_ERROR_MESSAGES,
    UPLOAD_ERROR_MESSAGES,
    Branch,
    Severity,
    WorkerCategory,
)
from core.api import API_ERROR_MESSAGES, VALIDATION_CODES, PeriodField, QuerySerializer


def _worker_categories() -> str:
    return ", ".join(f"`{value}` = {label}" for value, label in WorkerCategory.choices)


# The codes a payroll system sends, each with what it means, in the reader's language.
WORKER_CATEGORY_HELP = format_lazy(
    _("The worker category, one of: {categories}."), categories=lazy(_worker_categories, str)()
)

# What happened to the request: the API's own codes, and a bulk file's immediate rejections.
ERROR_CODES = sorted({*API_ERROR_MESSAGES, *UPLOAD_ERROR_MESSAGES})
ERROR_ITEM_CODES = sorted({*ANOMALY_MESSAGES, *EMPLOYMENT_ERROR_MESSAGES, *VALIDATION_CODES})


class ErrorItemSerializer(serializers.Serializer):
    line = serializers.IntegerField(allow_null=True, help_text=_("Line number in the request (1 for the first)."))
    field = serializers.CharField(help_text=_("The field concerned, e.g. gross_wage or lines.3.days_worked."))
    code = serializers.ChoiceField(
        choices=[(code, code) for code in ERROR_ITEM_CODES],
        help_text=_("A stable anomaly code (see the list of codes)."),
    )
    severity = serializers.ChoiceField(choices=Severity.choices)
    message = serializers.CharField(help_text=_("In the request's language (Accept-Language: fr or en)."))


class ErrorSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=[(code, code) for code in ERROR_CODES])
    message = serializers.CharField()
    errors = ErrorItemSerializer(many=True)  # type: ignore[assignment]  # the JSON key, not Serializer.errors


class RateSerializer(serializers.Serializer):
    branch = serializers.ChoiceField(choices=Branch.choices)
    worker_category = serializers.ChoiceField(choices=WorkerCategory.choices)
    employee_rate = serializers.DecimalField(max_digits=7, decimal_places=5)
    employer_rate = serializers.DecimalField(max_digits=7, decimal_places=5)
    monthly_ceiling = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)


class RatesSerializer(serializers.Serializer):
    period = serializers.CharField()
    rates = RateSerializer(many=True)


class PeriodQuerySerializer(QuerySerializer):
    period = PeriodField(required=False, help_text=_("YYYY-MM; this month if absent."))


class EmployerSerializer(serializers.Serializer):
    enterprise_number = serializers.CharField()
    name = serializers.CharField()
    through_mandate = serializers.BooleanField(help_text=_("True when the key's enterprise acts as a mandated bureau."))


class LineInputSerializer(serializers.Serializer):
    # Strings on purpose: every value reaches the one validation of every channel, which answers
    # with the anomaly codes (a number is accepted and read as its decimal text).
    national_number = serializers.CharField(
        max_length=40, allow_blank=True, help_text=_("The worker's national number (dots and dashes allowed).")
    )
    worker_category = serializers.CharField(max_length=40, allow_blank=True, help_text=WORKER_CATEGORY_HELP)
    gross_wage = serializers.CharField(
        max_length=40,
        allow_blank=True,
        help_text=_(
            'The amount as text: ASCII digits with an optional decimal point and at most two decimals, e.g. "2950.00"'
            ' or "2950". No sign, exponent, thousands separator or decimal comma: any other notation is the line'
            " error wage_invalid."
        ),
    )
    days_worked = serializers.CharField(
        max_length=10,
        allow_blank=True,
        help_text=_("Days worked in the month: from 0 to the number of days of the month."),
    )


class DeclarationInputSerializer(serializers.Serializer):
    period = PeriodField(help_text=_("YYYY-MM, a month that has ended."))
    replace = serializers.BooleanField(
        default=False, help_text=_("True to replace the declaration in force for the period (a new version).")
    )
    lines = LineInputSerializer(many=True, allow_empty=True, max_length=settings.API_DECLARATION_MAX_LINES)  # type: ignore[call-arg]


class BranchTotalSerializer(serializers.Serializer):
    branch = serializers.ChoiceField(choices=Branch.choices)
    employee = serializers.DecimalField(max_digits=14, decimal_places=2)
    employer = serializers.DecimalField(max_digits=14, decimal_places=2)


class WarningSerializer(serializers.Serializer):
    line = serializers.IntegerField(allow_null=True)
    field = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()


class DeclarationSerializer(serializers.Serializer):
    reference = serializers.CharField()
    period = serializers.CharField()
    version = serializers.IntegerField()
    status = serializers.CharField(help_text=_("in_force, or replaced by a later version."))
    channel = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    line_count = serializers.IntegerField()
    total_wages = serializers.DecimalField(max_digits=16, decimal_places=2)
    totals = BranchTotalSerializer(many=True)


class DeclarationLineSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    national_number = serializers.CharField()
    worker_category = serializers.CharField()
    gross_wage = serializers.DecimalField(max_digits=12, decimal_places=2)
    days_worked = serializers.IntegerField()
    employee_amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    employer_amount = serializers.DecimalField(max_digits=12, decimal_places=2)


class DeclarationDetailSerializer(DeclarationSerializer):
    warnings = WarningSerializer(many=True)
    lines = DeclarationLineSerializer(many=True)


class DeclarationAcceptedSerializer(DeclarationSerializer):
    warnings = WarningSerializer(many=True)


class DeclarationFilterSerializer(QuerySerializer):
    period_from = PeriodField(required=False, help_text=_("YYYY-MM, included."))
    period_to = PeriodField(required=False, help_text=_("YYYY-MM, included."))
    status = serializers.ChoiceField(
        choices=["in_force", "replaced"],
        required=False,
        help_text=_(
            "`in_force`: the versions in force; `replaced`: the versions a later one replaced. Both if absent."
        ),
    )


class EmploymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    national_number = serializers.CharField()
    name = serializers.CharField()
    worker_category = serializers.CharField()
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)
    cancelled = serializers.BooleanField()


class EmploymentFilterSerializer(QuerySerializer):
    active_on = serializers.DateField(required=False, help_text=_("Only the employments running on this day."))


class HireInputSerializer(serializers.Serializer):
    national_number = serializers.CharField(
        max_length=40, help_text=_("The worker's national number (dots and dashes allowed).")
    )
    worker_category = serializers.CharField(max_length=40, help_text=WORKER_CATEGORY_HELP)
    start_date = serializers.DateField(help_text=_("The first day of work (today or later)."))


class TerminationInputSerializer(serializers.Serializer):
    end_date = serializers.DateField(help_text=_("The last day of work."))


class TerminationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    end_date = serializers.DateField()
    late = serializers.BooleanField(help_text=_("Declared after the next working day following the last day."))


# --- Bulk declaration files -------------------------------------------------------------------


class UploadInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("The declaration file: CSV in UTF-8, as described on the format page."))


class FileFormatSerializer(serializers.Serializer):
    encoding = serializers.CharField(help_text=_("utf-8, or utf-8-sig when the file starts with a byte order mark."))
    separator = serializers.CharField(help_text=_("The column separator: a comma or a semicolon."))
    decimal_mark = serializers.CharField(
        help_text=_("A point with commas; a comma (a point is read too) with semicolons.")
    )
    line_ending = serializers.CharField(help_text=_("LF or CRLF."))


class UploadLinksSerializer(serializers.Serializer):
    status = serializers.URLField(help_text=_("Where to follow the processing of the file."))
    anomalies = serializers.URLField(help_text=_("The anomalies found in the file, by line."))


class UploadSerializer(serializers.Serializer):
    """The technical acknowledgement of a file, and where its processing stands."""

    id = serializers.IntegerField()
    file_name = serializers.CharField()
    size = serializers.IntegerField(help_text=_("In bytes."))
    sha256 = serializers.CharField(help_text=_("The SHA-256 of the file, in hexadecimal."))
    format = FileFormatSerializer()
    status = serializers.ChoiceField(choices=UploadStatus.choices)
    received_at = serializers.DateTimeField()
    links = UploadLinksSerializer()


class UploadReceiptSerializer(UploadSerializer):
    duplicate = serializers.BooleanField(
        help_text=_("True when this file was already received: the answer is the first upload, nothing new is stored.")
    )


class UploadSummarySerializer(UploadSerializer):
    lines_total = serializers.IntegerField(allow_null=True, help_text=_("Known once the file is planned."))
    errors = serializers.IntegerField(help_text=_("Blocking errors, counted when the processing ends."))  # type: ignore[assignment]  # the JSON key, not Serializer.errors
    warnings = serializers.IntegerField(help_text=_("Warnings, counted when the processing ends."))
    declarations = serializers.IntegerField(help_text=_("Declarations brought into force by the file."))
    finished_at = serializers.DateTimeField(allow_null=True)


class UploadProgressSerializer(serializers.Serializer):
    lines_total = serializers.IntegerField(allow_null=True)
    lines_done = serializers.IntegerField()
    percent = serializers.IntegerField(min_value=0, max_value=100)


class UploadTotalSerializer(serializers.Serializer):
    employer_number = serializers.CharField()
    employer_name = serializers.CharField()
    period = serializers.CharField()
    lines = serializers.IntegerField()
    total_wages = serializers.DecimalField(max_digits=16, decimal_places=2)
    contributions = serializers.DecimalField(max_digits=16, decimal_places=2)
    declaration_reference = serializers.CharField(
        allow_null=True, help_text=_("The declaration's reference once the file is accepted.")
    )


class UploadDetailSerializer(UploadSerializer):
    progress = UploadProgressSerializer()
    errors = serializers.IntegerField(help_text=_("Blocking errors found so far."))  # type: ignore[assignment]  # the JSON key, not Serializer.errors
    warnings = serializers.IntegerField(help_text=_("Warnings found so far."))
    declarations = serializers.IntegerField(help_text=_("Declarations brought into force by the file."))
    finished_at = serializers.DateTimeField(allow_null=True)
    totals = UploadTotalSerializer(
        many=True,
        help_text=_(
            "Per employer and period: of the declarations once accepted, of the lines checked so far while "
            "processing, none once rejected."
        ),
    )


class UploadAnomalySerializer(serializers.Serializer):
    line = serializers.IntegerField(
        allow_null=True, help_text=_("The line of the file (1 is the header); null for an employer's period.")
    )
    field = serializers.CharField()
    employer_number = serializers.CharField(help_text=_("As written in the file."))
    period = serializers.CharField()
    code = serializers.ChoiceField(choices=[(code, code) for code in ERROR_ITEM_CODES])
    severity = serializers.ChoiceField(choices=Severity.choices)
    message = serializers.CharField(help_text=_("In the request's language (Accept-Language: fr or en)."))
