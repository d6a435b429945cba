from django.urls import path

from contributions.views import account, bulk, record
from contributions.views import declarations as views
from contributions.views import documents as document_views

app_name = "contributions"

urlpatterns = [
    path("contributions/rates/", views.rates, name="rates"),
    path("my-file/contributions/", record.record, name="record"),
    path("my-file/contributions/report/", record.report, name="record_report"),
    path("my-file/contributions/reports/<int:report_id>/", record.case, name="record_case"),
    path("my-file/contributions/statement/", document_views.statement, name="statement"),
    path(
        "my-file/contributions/statements/<int:statement_id>/",
        document_views.statement_detail,
        name="statement_detail",
    ),
    path(
        "my-file/contributions/statements/<int:statement_id>/status/",
        document_views.statement_status,
        name="statement_status",
    ),
    path(
        "my-file/contributions/statements/<int:statement_id>/statement.pdf",
        document_views.statement_pdf,
        name="statement_pdf",
    ),
    path("enterprises/<int:enterprise_id>/employees/", views.employees, name="employees"),
    path("enterprises/<int:enterprise_id>/declarations/", views.declarations, name="declarations"),
    path(
        "enterprises/<int:enterprise_id>/declarations/<int:declaration_id>/",
        views.declaration,
        name="declaration",
    ),
    path(
        "enterprises/<int:enterprise_id>/declarations/<int:declaration_id>/receipt.pdf",
        views.declaration_receipt_pdf,
        name="declaration_pdf",
    ),
    path(
        "enterprises/<int:enterprise_id>/employees/<int:employment_id>/<slug:action>/",
        views.employee_action,
        name="employee_action",
    ),
    path("enterprises/<int:enterprise_id>/account/", account.account, name="account"),
    path("enterprises/<int:enterprise_id>/certificate/", document_views.certificate, name="certificate"),
    path("enterprises/<int:enterprise_id>/account/pay/", account.pay, name="pay"),
    path("enterprises/<int:enterprise_id>/account/refund/", account.refund, name="refund"),
    path("enterprises/<int:enterprise_id>/account/statement.csv", account.statement_csv, name="statement_csv"),
    path("enterprises/<int:enterprise_id>/payments/<int:payment_id>/", account.payment, name="payment"),
    path("payments/callback/<slug:provider>/", account.payment_callback, name="payment_callback"),
    path("declarations/files/", bulk.uploads, name="bulk_uploads"),
    path("declarations/files/format/", bulk.file_format, name="bulk_format"),
    path("declarations/files/format/<slug:kind>.csv", bulk.file_template, name="bulk_file"),
    path("declarations/files/<int:upload_id>/", bulk.upload, name="bulk_upload"),
    path("declarations/files/<int:upload_id>/progress/", bulk.upload_progress, name="bulk_upload_progress"),
    path("declarations/files/<int:upload_id>/anomalies.csv", bulk.upload_anomalies_csv, name="bulk_upload_anomalies"),
]
