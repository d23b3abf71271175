"""Chinese resident ID numbers (GB 11643-1999): the 18-character form with its ISO 7064 MOD 11-2
check character, and the legacy 15-digit form (no century, no check character).

Region codes are not checked: codes are retired and re-issued over the years, and refusing an
old one would lock a physician out of an account the institution registered under it.
"""
from __future__ import annotations

from datetime import date

from stdnum.iso7064 import mod_11_2

from wechat_app.domain.errors import DomainError


def check_character(first17: str) -> str:
    return mod_11_2.calc_check_digit(first17)


def to_18(id15: str) -> str:
    """The 18-character number for a legacy 15-digit one (born 19xx, as all 15-digit numbers are)."""
    first17 = id15[:6] + "19" + id15[6:]
    return first17 + check_character(first17)


def to_15(id18: str) -> str:
    """The legacy form: drop the century digits "19" and the check character."""
    return id18[:6] + id18[8:17]


# Full-width digits and letters (what Chinese input methods often produce) → ASCII.
_FULL_WIDTH = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９ＸｘＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｙｚ"}


def clean(raw: str) -> str:
    """Full-width to ASCII, spaces and dashes removed, x upper-cased: the form we compare."""
    text = (raw or "").translate(_FULL_WIDTH)
    return "".join(ch for ch in text if not ch.isspace() and ch not in "-－").upper()


def is_resident_form(number: str) -> bool:
    return (len(number) == 18 and number[:17].isdigit() and (number[17].isdigit() or number[17] == "X")) or (
        len(number) == 15 and number.isdigit())


def canonical_18(raw: str) -> str | None:
    """The 18-character form of a resident ID number typed either way; None for other documents
    (军官证, 港澳台, 护照 log in with their number as stored). Raises DomainError when the check
    character of an 18-character number is wrong."""
    number = clean(raw)
    if not is_resident_form(number):
        return None
    if len(number) == 15:
        return to_18(number)
    if check_character(number[:17]) != number[17]:
        raise DomainError("证件号码校验位不正确，请核对后重新输入（尾号X大小写均可）。")
    return number


def stated_in(id18: str | None) -> tuple[str, date] | None:
    """The gender and birth date a resident ID number states (GB 11643-1999: characters 7–14 are the
    birth date, the 17th is odd for men and even for women), or None for other documents and for a
    number whose date is impossible."""
    if not id18 or len(id18) != 18 or not id18[:17].isdigit():
        return None
    try:
        born = date(int(id18[6:10]), int(id18[10:12]), int(id18[12:14]))
    except ValueError:
        return None
    return ("男" if int(id18[16]) % 2 else "女"), born


def mask(number: str | None) -> str:
    """430***********0422: the first three and last four characters, as the seed shows them."""
    if not number:
        return ""
    if len(number) <= 7:
        return number[:1] + "*" * (len(number) - 1)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_name(name: str) -> str:
    """张** : the first character of a name, as a public page or another province may see it; always
    two stars, so that the mask does not tell the name's length either."""
    return name[:1] + "**"


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 11 else phone[:2] + "****"
