"""Reads of the identity app: persons, enterprises, who represents them, and family links.

Other apps read identity only through these functions; they return frozen dataclasses.

A package: ``persons``, ``family``, ``enterprises`` and ``accounts``; other apps import the
functions from here (``identity.selectors``), never from its modules.
"""

from __future__ import annotations

from identity.selectors.accounts import (
    AccountFacts,
    AccountSecurity,
    Contact,
    account_facts,
    account_facts_of,
    account_for_change,
    account_security,
    active_user_id_chunks,
    contact_map,
    signed_in_user,
    staff_has_permission,
    staff_with_permission,
    user_ids_for_enterprise,
    user_ids_for_enterprises,
    user_ids_for_person,
    user_ids_in_staff_group,
)
from identity.selectors.enterprises import (
    api_key_creator,
    api_key_list,
    enterprise_by_number,
    enterprise_get_for_actor,
    enterprise_ids_by_numbers,
    enterprise_name,
    enterprise_names,
    enterprise_role,
    enterprise_roles,
    enterprise_summaries,
    representation_list_for_user,
    representative_list,
)
from identity.selectors.family import (
    family_on,
    marriage_of,
    marriages_of,
)
from identity.selectors.persons import (
    RegistryEntry,
    bank_account_get,
    bank_account_on_file,
    current_bank_accounts_sql,
    person_by_national_number,
    person_file_get,
    person_get,
    person_match,
    person_names,
    person_national_numbers,
    person_summaries,
    persons_by_national_numbers,
    persons_of_sign_in_addresses,
)

__all__ = [
    "AccountFacts",
    "AccountSecurity",
    "Contact",
    "RegistryEntry",
    "account_facts",
    "account_facts_of",
    "account_for_change",
    "account_security",
    "active_user_id_chunks",
    "api_key_creator",
    "api_key_list",
    "bank_account_get",
    "bank_account_on_file",
    "contact_map",
    "current_bank_accounts_sql",
    "enterprise_by_number",
    "enterprise_get_for_actor",
    "enterprise_ids_by_numbers",
    "enterprise_name",
    "enterprise_names",
    "enterprise_role",
    "enterprise_roles",
    "enterprise_summaries",
    "family_on",
    "marriage_of",
    "marriages_of",
    "person_by_national_number",
    "person_file_get",
    "person_get",
    "person_match",
    "person_names",
    "person_national_numbers",
    "person_summaries",
    "persons_by_national_numbers",
    "persons_of_sign_in_addresses",
    "representation_list_for_user",
    "representative_list",
    "signed_in_user",
    "staff_has_permission",
    "staff_with_permission",
    "user_ids_for_enterprise",
    "user_ids_for_enterprises",
    "user_ids_for_person",
    "user_ids_in_staff_group",
]
