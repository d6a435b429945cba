"""The back office in French and English: a walk through every page of every model (the index,
each application's page, each list, each add page where allowed, a change page of each kind), as
a superuser and as each staff role, reading what the pages name — applications, models, columns,
filters and their choices, actions, fieldsets, labels, help texts, inlines — in both languages.

A name that reads the same in French as in English is left untranslated, unless the French
catalogue translates it so (« Notifications », « Permissions »): a model or field named without
``gettext_lazy``, a library's string our catalogue lacks, fail here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import result_headers
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from core.audit import access_record
from core.models import AccessRecord
from core.types import AccessPurpose
from portal.signals import STAFF_GROUPS
from tests.core.test_admin_walk import ROLES, World
from tests.helpers import sign_in, staff_actor
from tests.identity.factories import UserFactory, with_totp

pytestmark = pytest.mark.django_db

# Written alike in both languages and not translatable: Django names every primary key "ID".
ALIKE = {"ID"}
# Filters whose choices are rows (persons, paths, addresses), not names to translate.
_DATA_FILTERS = (admin.RelatedFieldListFilter, admin.AllValuesFieldListFilter)

Key = tuple[Any, ...]


def _context(response: Any) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for context in response.context or []:
        for layer in context.dicts:
            flat.update(layer)
    return flat


def _names(response: Any) -> Iterator[tuple[Key, Any]]:
    """What the page names (not the rows it shows), each under a key the same in both languages."""
    page = _context(response)
    for app in page.get("app_list") or []:
        yield ("app", app["app_label"]), app["name"]
        for model in app["models"]:
            yield ("model", model["object_name"]), model["name"]
    opts = page.get("opts")
    if opts is not None:
        yield ("model", opts.label, "singular"), opts.verbose_name
        yield ("model", opts.label, "plural"), opts.verbose_name_plural
    changelist = page.get("cl")
    if changelist is not None:
        for index, header in enumerate(result_headers(changelist)):
            if header.get("class_attrib") != ' class="action-checkbox-column"':
                yield ("column", index), header["text"]
        for index, spec in enumerate(changelist.filter_specs):
            yield ("filter", index), spec.title
            if not isinstance(spec, _DATA_FILTERS):
                for choice_index, choice in enumerate(spec.choices(changelist)):
                    yield ("filter choice", index, choice_index), choice["display"]
    action_form = page.get("action_form")
    if action_form is not None:
        for value, label in action_form.fields["action"].choices:
            if value:
                yield ("action", value), label
    form = page.get("adminform")
    if form is not None:
        for index, fieldset in enumerate(form):
            if fieldset.name:
                yield ("fieldset", index), fieldset.name
            for line in fieldset:
                for field in line:
                    yield from _field_names(field)
    for inline in page.get("inline_admin_formsets") or []:
        label = inline.opts.model._meta.label
        yield ("inline", label), inline.opts.verbose_name_plural
        for field in inline.fields():
            yield ("inline column", label, field["name"]), field["label"]


def _field_names(field: Any) -> Iterator[tuple[Key, Any]]:
    if field.is_readonly:
        yield ("label", field.field["name"]), field.field["label"]
        return
    bound = field.field
    yield ("label", bound.name), bound.label
    if bound.help_text:
        yield ("help", bound.name), bound.help_text
    choices = getattr(bound.field, "choices", None)
    if choices is not None and not isinstance(bound.field, forms.ModelChoiceField):
        for value, label in choices:
            if value not in ("", None) and isinstance(label, str):
                yield ("choice", bound.name, value), label


def _catalogue_says_so(text: str) -> bool:
    """French writes ``text`` as English does, and the French catalogue says so."""
    catalogue = trans_real.translation("fr")._catalog  # Django's and ours, merged
    for message in {text, text[:1].lower() + text[1:]}:
        if message in catalogue and catalogue[message].lower() == text.lower():
            return True
    return False


def _pages(world: World) -> Iterator[str]:
    yield reverse("admin:index")
    labels = sorted({model._meta.app_label for model in admin.site._registry})
    for app_label in labels:
        yield reverse("admin:app_list", args=[app_label])
    for model in sorted(admin.site._registry, key=lambda model: model._meta.label):
        info = model._meta.app_label, model._meta.model_name
        sample, _shown = world.samples[model]
        yield reverse("admin:{}_{}_changelist".format(*info))
        yield reverse("admin:{}_{}_add".format(*info))
        yield reverse("admin:{}_{}_change".format(*info), args=[sample.pk])


def _read(client: Client, url: str, language: str) -> tuple[int, dict[Key, str]]:
    response = client.get(url, headers={"accept-language": language})
    if response.status_code != 200:
        return response.status_code, {}
    assert response["Content-Language"] == language, url
    with translation.override(language):
        return 200, {key: str(name) for key, name in _names(response)}


def _walk(client: Client, world: World) -> tuple[list[str], list[str]]:
    """Every page in both languages: the pages read, and every name left in English."""
    read, english = [], []
    for url in _pages(world):
        status, french = _read(client, url, "fr")
        status_en, in_english = _read(client, url, "en")
        assert status == status_en, url
        if status != 200:
            continue
        read.append(url)
        assert french.keys() == in_english.keys(), url
        for key, text in french.items():
            alike = text == in_english[key] and any(c.isalpha() for c in text) and text not in ALIKE
            if alike and not _catalogue_says_so(text):
                english.append(f"{url} {key}: {text!r}")
    return read, english


@pytest.fixture
def world() -> World:
    world = World()
    # A staff change of a person's record: its trail line names the fields changed.
    access_record(
        actor=staff_actor(world.staff),
        subject_person_id=world.ben.pk,
        purpose=AccessPurpose.STAFF_REGISTRY_CHANGE,
        now=world.samples[AccessRecord][0].at,
        detail="first_name, last_name",
    )
    return world


def test_a_superuser_reads_every_page_of_the_back_office_in_french(client, world):
    sign_in(client, world.staff, mfa=True)

    read, english = _walk(client, world)

    assert english == []
    # Every model's list and change page answered, and the index and each application's page.
    assert len(read) >= 2 * len(admin.site._registry) + 1


@pytest.mark.parametrize("role", ROLES)
def test_each_staff_role_reads_its_pages_of_the_back_office_in_french(client, world, role):
    member = with_totp(UserFactory(is_staff=True))
    member.groups.set([Group.objects.get(name=role)])
    sign_in(client, member, mfa=True)

    read, english = _walk(client, world)

    assert english == []
    assert reverse("admin:index") in read and len(read) > 3


def test_staff_roles_are_named_in_the_readers_language_and_keep_their_stable_names(client, world):
    sign_in(client, world.staff, mfa=True)
    clerk = UserFactory(is_staff=True, email="clerk@example.org")
    clerk.groups.set([Group.objects.get(name="Registry clerk")])
    role = Group.objects.get(name="Case worker")

    for language in ("fr", "en"):
        groups = client.get(reverse("admin:auth_group_changelist"), headers={"accept-language": language})
        users = client.get(reverse("admin:identity_user_changelist"), headers={"accept-language": language})
        account = client.get(
            reverse("admin:identity_user_change", args=[clerk.pk]), headers={"accept-language": language}
        )
        translation.activate(language)
        names = {translation.gettext(name) for name in STAFF_GROUPS}
        shown = {str(row) for row in _context(groups)["cl"].result_list}
        assert shown == names
        (by_role,) = [spec for spec in _context(users)["cl"].filter_specs if spec.field_path == "groups"]
        assert {label for _pk, label in by_role.lookup_choices} == names
        choices = _context(account)["adminform"].form.fields["groups"].choices
        assert {str(label) for _pk, label in choices} == names
    # Stored, found and shown by its stable name where code and commands need it.
    assert set(Group.objects.values_list("name", flat=True)) == set(STAFF_GROUPS)
    page = client.get(reverse("admin:auth_group_change", args=[role.pk]), headers={"accept-language": "fr"})
    body = page.content.decode()
    assert 'Gestionnaire de dossiers (<code translate="no">Case worker</code>)' in body
    assert 'name="name"' not in body
    # Its permissions, grouped by the pages they open, say what they allow in French.
    translation.activate("fr")
    groups = dict(_context(page)["adminform"].form.fields["permissions"].choices)
    assert {str(label) for _pk, label in groups["Identité et registres | personne"]} == {
        "Peut ajouter",
        "Peut modifier",
        "Peut supprimer",
        "Peut consulter",
        "Peut ouvrir le dossier d’une personne au guichet (mode assisté)",
    }
    assert "Can view" not in body and "Can open" not in body
