from django.urls import path

from identity import views

app_name = "identity"

urlpatterns = [
    path("my-file/link/", views.link_person, name="link_person"),
    path("my-file/bank-account/", views.bank_account, name="bank_account"),
    path("counter/sign-in-address/", views.counter_sign_in_address, name="counter_sign_in_address"),
    # allauth's second-factor steps (same addresses): sign-in and confirmation answer 429 when
    # codes are limited; the set-up of an app leads back to the page that asked for it.
    path("accounts/2fa/authenticate/", views.SecondFactorView.as_view(), name="second_factor"),
    path("accounts/2fa/totp/activate/", views.SecondFactorSetUpView.as_view(), name="second_factor_set_up"),
    path("accounts/2fa/reauthenticate/", views.SecondFactorAgainView.as_view(), name="second_factor_again"),
    path("enterprises/<int:enterprise_id>/representatives/", views.representatives, name="representatives"),
    path(
        "enterprises/<int:enterprise_id>/representatives/<int:representation_id>/revoke/",
        views.representative_revoke,
        name="representative_revoke",
    ),
    path("enterprises/<int:enterprise_id>/api-keys/", views.api_keys, name="api_keys"),
    path(
        "enterprises/<int:enterprise_id>/api-keys/<int:api_key_id>/revoke/",
        views.api_key_revoke,
        name="api_key_revoke",
    ),
]
