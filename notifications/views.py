"""The inbox and the notification preferences of the signed-in account (never anyone else's)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.http import PortalRequest
from notifications import selectors, services
from notifications.forms import PhoneCodeForm, PhoneForm, PreferencesForm
from notifications.types import Category, NotificationError


def _me(request: PortalRequest) -> int:
    """The signed-in account (every view here is behind login_required): only its own data."""
    user_id = request.user.pk
    assert user_id is not None
    return int(user_id)


@login_required
@require_GET
def inbox(request: PortalRequest) -> HttpResponse:
    category = request.GET.get("category")
    if category not in Category.values:
        category = None
    try:
        page_number = int(request.GET.get("page", "1"))
    except ValueError:
        page_number = 1
    page = selectors.inbox_page(user_id=_me(request), category=category, page=page_number)
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "category": category, "categories": Category.choices},
    )


@login_required
@require_GET
def message(request: PortalRequest, notification_id: int) -> HttpResponse:
    found = selectors.message_get(user_id=_me(request), notification_id=notification_id)
    if found.read_at is None:
        services.notification_mark(user_id=_me(request), notification_id=found.id, read=True, now=timezone.now())
    return render(request, "notifications/message.html", {"message": found})


@login_required
@require_POST
def mark(request: PortalRequest, notification_id: int) -> HttpResponse:
    read = request.POST.get("read") == "1"
    if not services.notification_mark(
        user_id=_me(request), notification_id=notification_id, read=read, now=timezone.now()
    ):
        raise Http404
    messages.success(request, _("The message is marked as read.") if read else _("The message is marked as unread."))
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_all_read(request: PortalRequest) -> HttpResponse:
    count = services.notification_mark_all_read(user_id=_me(request), now=timezone.now())
    if count:
        messages.success(request, _("All your messages are marked as read."))
    return redirect("notifications:inbox")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: PortalRequest) -> HttpResponse:
    rows = selectors.preferences_get(user_id=_me(request))
    form = PreferencesForm(request.POST or None, rows=rows)
    if request.method == "POST" and form.is_valid():
        services.preferences_set(user_id=_me(request), choices=form.choices())
        messages.success(request, _("Your preferences are saved."))
        return redirect("notifications:preferences")
    phone = selectors.phone_get(user_id=_me(request))
    return render(
        request,
        "notifications/preferences.html",
        {
            "form": form,
            "phone": phone,
            "phone_form": PhoneForm(),
            "code_form": PhoneCodeForm(),
        },
    )


@login_required
@require_POST
def phone(request: PortalRequest) -> HttpResponse:
    """Three actions on the mobile number: set (sends a code), verify, remove."""
    action = request.POST.get("action")
    now = timezone.now()
    try:
        if action == "set":
            form = PhoneForm(request.POST)
            if not form.is_valid():
                raise NotificationError("phone_invalid", _("This is not a valid phone number."))
            number = services.phone_number_set(user_id=_me(request), number=form.cleaned_data["number"], now=now)
            messages.success(request, _("We sent a code to %(number)s. Enter it below.") % {"number": number})
        elif action == "verify":
            code_form = PhoneCodeForm(request.POST)
            if not code_form.is_valid():
                raise NotificationError("code_wrong", _("This code is not correct."))
            services.phone_number_verify(user_id=_me(request), code=code_form.cleaned_data["code"], now=now)
            messages.success(request, _("Your mobile number is confirmed."))
        elif action == "remove":
            services.phone_number_remove(user_id=_me(request))
            messages.success(request, _("Your mobile number is removed."))
        else:
            raise Http404
    except NotificationError as error:
        messages.error(request, str(error.message))
    return redirect("notifications:preferences")
