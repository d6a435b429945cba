from __future__ import annotations

import datetime
from typing import Any

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.utils import timezone

from identity.country_profiles import country_profile
from identity.models import Enterprise, Person, Representation, User
from identity.types import EnterpriseRole

PASSWORD = "Correct-horse-battery-9"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    # Born between 1945 and 2005, whatever the number of persons a test run creates (a birth date
    # in the future would not make a valid national number).
    birth_date = factory.Sequence(lambda n: datetime.date(1945, 1, 1) + datetime.timedelta(days=(37 * n) % (365 * 60)))
    national_number = factory.LazyAttributeSequence(
        lambda person, n: country_profile().synthetic_person_number(person.birth_date, 1 + n % 997)
    )
    street = "Rue de la Loi 1"
    postal_code = "1000"
    city = "Bruxelles"


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"Entreprise {n}")
    enterprise_number = factory.Sequence(lambda n: country_profile().synthetic_enterprise_number(5000 + n))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")

    @factory.post_generation
    def password(self, create: bool, extracted: str | None, **kwargs: Any) -> None:
        self.set_password(extracted or PASSWORD)
        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


def with_totp(user: User) -> User:
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, TOTP_SECRET)
    return user


def representation(user: User, enterprise: Enterprise, role: str = EnterpriseRole.ADMINISTRATOR) -> Representation:
    return Representation.objects.create(user=user, enterprise=enterprise, role=role, granted_at=timezone.now())
