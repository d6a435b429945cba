"""Staff roles as Django groups, kept in step with the permissions after every migration."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_noop

if TYPE_CHECKING:
    from django.apps import AppConfig

# Group name (stored untranslated, shown translated) -> permission codenames "app_label.codename".
STAFF_GROUPS: dict[str, list[str]] = {
    gettext_noop("Case worker"): [
        "identity.view_person",
        "identity.serve_at_counter",
        "identity.view_enterprise",
        # Records reported wrong by the persons: the case worker handles them.
        "contributions.view_discrepancyreport",
        "contributions.change_discrepancyreport",
        # Benefit claims: the queues, the case work, the decisions (four eyes: another case worker).
        "benefits.view_claim",
        "benefits.change_claim",
        # What the grants opened, read-only; a benefit in payment suspended or resumed.
        "benefits.view_entitlement",
        "benefits.suspend_entitlement",
        # Life certificates of pensioners abroad: the requests and the letters to post, the
        # certificates to check (four eyes: never one's own), the remote identity checks.
        "benefits.view_lifecertificaterequest",
        "benefits.print_lifeletters",
        "benefits.view_lifecertificate",
        "benefits.review_lifecertificate",
        "benefits.view_lifecheck",
        # Benefits proposed without an application: the verification queue (never about oneself).
        "benefits.view_proposal",
        "benefits.verify_proposal",
    ],
    gettext_noop("Supervisor"): [
        "contributions.view_contributionrate",
        "contributions.view_lateinterestrate",
        "notifications.view_notification",
        "notifications.view_delivery",
        "identity.view_person",
        "identity.view_enterprise",
        "identity.view_representation",
        "identity.view_activationcode",
        "identity.view_familylink",
        "core.view_accessrecord",
        # Contribution statements asked for (those being prepared, those that failed).
        "contributions.view_statementrequest",
        # The performance indicators of the back office.
        "portal.view_kpis",
        # Benefits composed in a crisis, without a deployment: they compose and publish them.
        "benefits.view_composedscheme",
        "benefits.add_composedscheme",
        "benefits.change_composedscheme",
        # Proactive attribution: each rule switched on or off, and how its proposals are verified.
        "benefits.view_attributionrule",
        "benefits.change_attributionrule",
        "benefits.view_proposal",
    ],
    gettext_noop("Finance"): [
        "identity.view_enterprise",
        "contributions.view_contributionrate",
        "contributions.add_contributionrate",
        "contributions.change_contributionrate",
        "contributions.view_lateinterestrate",
        "contributions.add_lateinterestrate",
        "contributions.change_lateinterestrate",
        # Bank statements: import them, and handle the transfers left in the work queue.
        "contributions.view_bankstatementimport",
        "contributions.add_bankstatementimport",
        "contributions.view_banktransaction",
        "contributions.change_banktransaction",
        "contributions.view_payment",
        # Enterprises' requests to be paid back their credit: pay them or refuse them.
        "contributions.view_refundrequest",
        "contributions.change_refundrequest",
        # Benefit payments: the monthly runs (prepare, check, approve with four eyes, download the
        # bank files), the bank's answers to import, the transfers recalled (their files to
        # send), the sums to recover to follow up.
        "benefits.view_paymentrun",
        "benefits.approve_paymentrun",
        "benefits.view_bankanswer",
        "benefits.add_bankanswer",
        "benefits.view_recallfile",
        "benefits.view_recovery",
    ],
    gettext_noop("Registry clerk"): [
        "identity.view_person",
        "identity.serve_at_counter",
        "identity.add_person",
        "identity.change_person",
        "identity.view_enterprise",
        "identity.add_enterprise",
        "identity.change_enterprise",
        "identity.view_representation",
        "identity.add_representation",
        "identity.change_representation",
        "identity.view_activationcode",
        "identity.add_activationcode",
        # Civil-status links (spouses, parents and children): evidence for benefit decisions.
        "identity.view_familylink",
        "identity.add_familylink",
        "identity.change_familylink",
        # The civil registry's life events: follow them, apply again those it refused.
        "benefits.view_lifeevent",
        "benefits.retry_lifeevent",
    ],
    gettext_noop("Security officer"): [
        "notifications.view_notification",
        "notifications.view_delivery",
        "core.view_accessrecord",
        "identity.view_user",
        "identity.change_user",
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "axes.view_accesslog",
        "axes.view_accessfailurelog",
        "usersessions.view_usersession",
        "usersessions.delete_usersession",
        # The civil registry's partners: their keys created (shown once) and revoked.
        "benefits.view_registrypartner",
        "benefits.add_registrypartner",
        "benefits.change_registrypartner",
    ],
}


def staff_groups_sync_after_migrate(*, app_config: AppConfig, **_kwargs: Any) -> None:
    """post_migrate is sent once for each app with models: the groups are synced after the last
    one, when every app's permissions exist — once per ``migrate`` or ``flush`` rather than once
    per app (twenty syncs, 2.5 s, after every transactional test's flush)."""
    from django.apps import apps

    if app_config is [config for config in apps.get_app_configs() if config.models_module is not None][-1]:
        staff_groups_sync()


def staff_groups_sync(**_kwargs: Any) -> None:
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    for name, codenames in STAFF_GROUPS.items():
        group, _created = Group.objects.get_or_create(name=name)
        query = Q(pk__in=[])
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            query |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(query))
