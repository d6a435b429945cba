from django.urls import path

from benefits.views import claims as claim_views
from benefits.views import life as life_views
from benefits.views import payments as payment_views
from benefits.views import proposals as proposal_views
from benefits.views import schemes as views

app_name = "benefits"

urlpatterns = [
    path("benefits/", views.schemes, name="schemes"),
    path("benefits/<slug:slug>/", views.scheme, name="scheme"),
    path("benefits/<slug:slug>/claim/", claim_views.claim_start, name="claim_start"),
    path("my-file/pension-estimate/", views.simulator, name="simulator"),
    path("my-file/payments/", payment_views.payments, name="payments"),
    path("my-file/payments/statement/", payment_views.payment_statement, name="payment_statement"),
    path("my-file/life-certificate/", life_views.life_certificate, name="life_certificate"),
    path("my-file/life-certificate/send/", life_views.life_certificate_send, name="life_certificate_send"),
    path("my-file/life-certificate/check/", life_views.life_check_start, name="life_check_start"),
    path("my-file/life-certificate/check/<int:check_id>/", life_views.life_check_return, name="life_check_return"),
    path("life-certificate/callback/<str:provider>/", life_views.life_check_callback, name="life_check_callback"),
    path("my-file/benefits-proposed/", proposal_views.proposals, name="proposals"),
    path("my-file/benefits-proposed/<int:proposal_id>/", proposal_views.proposal, name="proposal"),
    path("my-file/benefits-proposed/<int:proposal_id>/accept/", proposal_views.proposal_accept, name="proposal_accept"),
    path(
        "my-file/benefits-proposed/<int:proposal_id>/decline/",
        proposal_views.proposal_decline,
        name="proposal_decline",
    ),
    path(
        "my-file/benefits-proposed/<int:proposal_id>/dispute/",
        proposal_views.proposal_dispute,
        name="proposal_dispute",
    ),
    path("my-file/claims/", claim_views.claims, name="claims"),
    path("my-file/claims/<int:claim_id>/", claim_views.claim, name="claim"),
    path("my-file/claims/<int:claim_id>/step/<str:step>/", claim_views.claim_step, name="claim_step"),
    path("my-file/claims/<int:claim_id>/documents/", claim_views.claim_document_add, name="claim_document_add"),
    path(
        "my-file/claims/<int:claim_id>/documents/<int:document_id>/",
        claim_views.claim_document,
        name="claim_document",
    ),
    path(
        "my-file/claims/<int:claim_id>/documents/<int:document_id>/remove/",
        claim_views.claim_document_remove,
        name="claim_document_remove",
    ),
    path("my-file/claims/<int:claim_id>/receipt/", claim_views.claim_receipt, name="claim_receipt"),
    path(
        "my-file/claims/<int:claim_id>/decisions/<int:decision_id>/letter/",
        claim_views.claim_letter,
        name="claim_letter",
    ),
    path("my-file/claims/<int:claim_id>/message/", claim_views.claim_message, name="claim_message"),
    path("my-file/claims/<int:claim_id>/information/", claim_views.claim_information, name="claim_information"),
    path("my-file/claims/<int:claim_id>/withdraw/", claim_views.claim_withdraw, name="claim_withdraw"),
    path("my-file/claims/<int:claim_id>/appeal/", claim_views.claim_appeal, name="claim_appeal"),
]
