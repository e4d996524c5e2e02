import pytest
from django.utils import translation
from stdnum.cn import uscc

from hejie.businesses.credit_code import is_valid_credit_code, validate_credit_code
from hejie.core.errors import InvalidInput
from tests.conftest import make_credit_code


def _error(raw, **kwargs) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        validate_credit_code(raw, **kwargs)
    return info.value


def test_valid_digit_leading_code():
    assert validate_credit_code("91110000600037341L") == "91110000600037341L"
    code = make_credit_code()
    assert validate_credit_code(code) == code


def test_valid_letter_leading_code_that_stdnum_refuses():
    body = "Y1420102MA4K2J3X0"
    code = body + uscc.calc_check_digit(body)
    assert not uscc.is_valid(code)  # the stdnum limitation this module works around
    assert validate_credit_code(code) == code
    body = "A2420100123456789"
    assert validate_credit_code(body + uscc.calc_check_digit(body)) == body + uscc.calc_check_digit(body)


def test_lowercase_spaces_hyphens_and_full_width_are_normalised():
    assert validate_credit_code("  9111-0000 6000-3734 1l ") == "91110000600037341L"
    assert validate_credit_code("９１１１００００６０００３７３４１Ｌ") == "91110000600037341L"
    body = "Y1420102MA4K2J3X0"
    code = body + uscc.calc_check_digit(body)
    assert validate_credit_code(code.lower()) == code


def test_wrong_check_character():
    good = "91110000600037341L"
    bad = good[:-1] + ("M" if good[-1] != "M" else "N")
    e = _error(bad)
    assert e.code == "credit_code_check"
    assert "校验位" in e.message  # Chinese by default
    with translation.override("en"):
        assert "check character" in _error(bad).message
    body = "Y1420102MA4K2J3X0"
    right = uscc.calc_check_digit(body)
    wrong = "1" if right != "1" else "2"
    assert _error(body + wrong).code == "credit_code_check"


@pytest.mark.parametrize("raw", ["91110000600037341", "91110000600037341L0", "9111"])
def test_wrong_length(raw):
    e = _error(raw)
    assert e.code == "credit_code_length"
    assert "18" in e.message


def test_empty_is_required():
    assert _error("").code == "required"
    assert _error(None).code == "required"


@pytest.mark.parametrize(
    "raw",
    [
        "91110000600037I41L",  # I is not in the code alphabet
        "9111000060003734OL",  # nor O
        "S1110000600037341L",  # nor S, even in the leading positions
        "911100006000373Z1L",  # nor Z
        "91A10000600037341L",  # positions 3-8 are the region code: digits only
        "91110000600037341*",
    ],
)
def test_characters_outside_the_alphabet_are_refused(raw):
    e = _error(raw)
    assert e.code == "credit_code_chars"


def test_error_names_the_field_and_messages_are_distinct():
    length = _error("123", field="stores.0.credit_code")
    assert list(length.fields) == ["stores.0.credit_code"]
    chars = _error("91110000600037I41L")
    check = _error("91110000600037341M")
    assert len({length.message, chars.message, check.message}) == 3


def test_is_valid_helper():
    assert is_valid_credit_code("91110000600037341L")
    assert not is_valid_credit_code("91110000600037341M")
