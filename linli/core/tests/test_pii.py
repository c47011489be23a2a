from datetime import date

import pytest
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from linli.core import pii


def _id_number(birth: date, serial: int) -> str:
    first17 = f"340223{birth:%Y%m%d}{serial:03d}"
    return first17 + pii.id_number_check_char(first17)


@given(
    birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 1, 1)),
    serial=st.integers(0, 999),
)
def test_every_well_formed_id_number_is_accepted(birth, serial):
    assert pii.id_number_error(_id_number(birth, serial)) is None


@given(serial=st.integers(0, 999), wrong=st.sampled_from("0123456789X"))
def test_a_wrong_check_digit_is_refused_in_chinese(serial, wrong):
    number = _id_number(date(1950, 3, 1), serial)
    if wrong == number[-1]:
        return
    assert pii.id_number_error(number[:-1] + wrong) == "身份证号校验位不正确"


def test_bad_length_and_bad_birth_date_are_refused():
    assert pii.id_number_error("34022319500301") == "身份证号应为 18 位，最后一位可以是数字或 X"
    first17 = "34022319501301123"  # month 13
    assert (
        pii.id_number_error(first17 + pii.id_number_check_char(first17))
        == "身份证号中的出生日期无效"
    )


def test_known_valid_number_with_x_check_digit():
    # GB 11643's worked example: 11010519491231002X
    assert pii.id_number_error("11010519491231002x") is None


def test_masks_keep_only_the_ends():
    assert pii.mask_phone("13812345678") == "138****5678"
    assert pii.mask_id_number("340223195003011234") == "340223********1234"


def test_phone_validation_and_normalisation():
    assert pii.normalize_phone("+86 138-1234-5678") == "13812345678"
    assert pii.is_valid_phone("13812345678")
    assert not pii.is_valid_phone("12812345678")
    assert not pii.is_valid_phone("1381234567")


def test_encryption_round_trips_and_hides_the_value():
    token = pii.encrypt("13812345678")
    assert "13812345678" not in token
    assert pii.decrypt(token) == "13812345678"


def test_key_rotation_reads_old_values_and_reencrypts_with_the_new_key():
    with override_settings(PII_KEYS=["old-key"]):
        old_token = pii.encrypt("340223195003011234")
    with override_settings(PII_KEYS=["new-key", "old-key"]):
        assert pii.decrypt(old_token) == "340223195003011234"
        rotated = pii.reencrypt(old_token)
    with override_settings(PII_KEYS=["new-key"]):
        assert pii.decrypt(rotated) == "340223195003011234"
        with pytest.raises(Exception):
            pii.decrypt(old_token)


def test_blind_index_is_keyed_and_normalised():
    assert pii.blind_index("11010519491231002x") == pii.blind_index("11010519491231002X")
    with override_settings(PII_HASH_KEY="another"):
        other = pii.blind_index("13812345678")
    assert other != pii.blind_index("13812345678")
