"""ID numbers: every form a physician may type, and the check character."""
from __future__ import annotations

import pytest

from wechat_app.domain.errors import DomainError
from wechat_app.domain.idnumbers import canonical_18, clean, mask, mask_name, mask_phone


@pytest.mark.parametrize("typed", [
    "11010519491231002X", "11010519491231002x", "110105491231002", "１１０１０５１９４９１２３１００２Ｘ",
    " 110105 19491231 002x ", "１１０１０５４９１２３１００２",
])
def test_every_form_gives_the_18_character_number(typed):
    assert canonical_18(typed) == "11010519491231002X"


def test_wrong_check_character_is_refused_with_a_reason():
    with pytest.raises(DomainError, match="校验位"):
        canonical_18("110105194912310021")


def test_unknown_region_codes_are_not_refused():
    number = "99000019800101001"
    from wechat_app.domain.idnumbers import check_character

    assert canonical_18(number + check_character(number)) == number + check_character(number)


@pytest.mark.parametrize("other", ["军字第1234567号", "H12345678", "E12345678", "A1234567(8)"])
def test_other_documents_are_not_resident_numbers(other):
    assert canonical_18(other) is None
    assert clean(other) == clean(other).upper()


def test_masks():
    assert mask("430103197901010422") == "430***********0422"
    assert mask("430103790101042") == "430********1042"
    assert mask_phone("13812345678") == "138****5678"
    # A masked name tells its first character, not its length (issue 22: "董**********" for a demo name).
    assert mask_name("张三") == mask_name("张三丰") == "张**"
    assert mask_name("董敏（演示医师12号）") == "董**"
