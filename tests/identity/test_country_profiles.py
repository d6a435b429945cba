import datetime

import pytest

from identity.country_profiles import PROFILES, country_profile
from identity.types import InvalidIdentifier


def test_belgian_national_number_is_validated_with_its_check_digits(settings):
    settings.COUNTRY_PROFILE = "BE"
    scheme = country_profile().person_number
    assert scheme.validate("85.07.30-033.28") == "85073003328"
    with pytest.raises(InvalidIdentifier) as error:
        scheme.validate("85.07.30-033.29")
    assert error.value.code == "checksum"


def test_belgian_numbers_born_after_2000_use_the_2_prefix_in_the_checksum():
    number = PROFILES["BE"].synthetic_person_number(datetime.date(2005, 7, 30), 35)
    assert number == "05073003524"
    assert PROFILES["BE"].person_number.validate(number) == number


def test_wrong_length_and_garbage_are_rejected_with_their_own_codes(settings):
    settings.COUNTRY_PROFILE = "BE"
    scheme = country_profile().person_number
    with pytest.raises(InvalidIdentifier) as error:
        scheme.validate("8507300")
    assert error.value.code == "length"
    with pytest.raises(InvalidIdentifier) as error:
        scheme.validate("")
    assert error.value.code == "required"


def test_enterprise_number_is_formatted_the_official_way():
    scheme = PROFILES["BE"].enterprise_number
    assert scheme.validate("BE 0403.019.261") == "0403019261"
    assert scheme.format("0403019261") == "0403.019.261"
    with pytest.raises(InvalidIdentifier):
        scheme.validate("0403.019.262")


def test_french_profile_validates_nir_and_siren(settings):
    settings.COUNTRY_PROFILE = "FR"
    profile = country_profile()
    assert profile.person_number.validate("2 95 10 99 126 111 93") == "295109912611193"
    assert profile.enterprise_number.validate("404 833 048") == "404833048"
    with pytest.raises(InvalidIdentifier):
        profile.enterprise_number.validate("404 833 047")


def test_unknown_profile_fails_loudly(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.COUNTRY_PROFILE = "XX"
    with pytest.raises(ImproperlyConfigured):
        country_profile()
