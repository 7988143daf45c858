"""Masking personal data (issue 15): a corpus of phone, e-mail, identity-card and name forms in
Chinese and English — mainland China, Hong Kong, Taiwan, the US, the UK and international numbers —
every one caught; ordinary numbers (dates, prices, years, model numbers) left alone; and nothing the
masker catches reaches a report through a quotation.

The examples are the documented forms of each place: the US 555-01xx range reserved for fiction,
the UK's Ofcom drama numbers (020 7946 0xxx, 07700 900xxx), HMRC's specimen National Insurance
number QQ 12 34 56 C, the specimen identity-card numbers of the mainland (a valid date and check
digit layout), Hong Kong and Taiwan.
"""

from __future__ import annotations

import pytest

from cxresearch import tables
from cxresearch.text import mask_pii

PII = [
    # mainland mobile
    ("请打13812345678找我", "13812345678"),
    ("电话 138 1234 5678", "138 1234 5678"),
    ("tel 138-1234-5678", "138-1234-5678"),
    ("+86 138 1234 5678 anytime", "138 1234 5678"),
    ("+86-138-1234-5678", "138-1234-5678"),
    ("0086 13812345678", "13812345678"),
    ("(+86)13812345678", "13812345678"),
    ("+8613812345678", "13812345678"),
    ("手机：186.1234.5678", "186.1234.5678"),
    # mainland landline / service
    ("办公室010-12345678", "12345678"),
    ("(010)12345678", "12345678"),
    ("0755-8765432转123", "8765432"),
    ("021 6123 4567", "6123 4567"),
    ("客服400-820-8820", "820-8820"),
    ("call 400 820 8820", "820 8820"),
    # HK
    ("+852 9123 4567", "9123 4567"),
    ("HK mobile 9123 4567 please", "9123 4567"),
    ("(852) 2345 6789", "2345 6789"),
    ("香港电话2345-6789", "2345-6789"),
    # TW
    ("0912-345-678", "345-678"),
    ("手機 0912 345 678", "345 678"),
    ("+886 912 345 678", "345 678"),
    ("(02) 2345-6789", "2345-6789"),
    ("02-2345-6789", "2345-6789"),
    ("+886-2-2345-6789", "2345-6789"),
    # US
    ("call (415) 555-0199 now", "555-0199"),
    ("415-555-0199", "555-0199"),
    ("415.555.0199", "555.0199"),
    ("+1 415 555 0199", "555 0199"),
    ("1-800-555-0199", "555-0199"),
    ("my cell is 4155550199", "4155550199"),
    ("+1 (415) 555-0199", "555-0199"),
    # UK
    ("020 7946 0958", "7946 0958"),
    ("07700 900123", "900123"),
    ("+44 20 7946 0958", "7946 0958"),
    ("+44 7700 900123", "900123"),
    ("(020) 7946 0958", "7946 0958"),
    ("0161 496 0000", "496 0000"),
    ("0044 20 7946 0958", "7946 0958"),
    # international
    ("+49 30 12345678", "12345678"),
    ("+61 2 9876 5432", "9876 5432"),
    # e-mail
    ("mail zhang.san@example.com", "zhang.san@example.com"),
    ("邮箱zhang_san+cx@mail.example.com.cn谢谢", "zhang_san+cx@mail.example.com.cn"),
    ("JOHN.DOE@EXAMPLE.CO.UK", "JOHN.DOE@EXAMPLE.CO.UK"),
    ("邮箱：wang＠example.com", "wang＠example.com"),
    ("write to li.si@例子.中国", "li.si@例子.中国"),
    # ID cards
    ("身份证110101199003071234", "110101199003071234"),
    ("ID 11010119900307123X", "11010119900307123X"),
    ("身份证号 110101 19900307 1234", "110101 19900307 1234"),
    ("旧身份证110101900307123", "110101900307123"),
    ("HKID A123456(7)", "A123456(7)"),
    ("香港身份證 AB987654(3)", "AB987654(3)"),
    ("台灣身分證 A123456789", "A123456789"),
    ("SSN 123-45-6789", "123-45-6789"),
    ("NI number QQ 12 34 56 C", "QQ 12 34 56 C"),
    ("NINO QQ123456C", "QQ123456C"),
    # names
    ("王经理态度很好", "王经理"),
    ("李先生很专业", "李先生"),
    ("张女士帮了忙", "张女士"),
    ("小李很热情", "小李"),
    ("老王不错", "老王"),
    ("陳經理很好", "陳經理"),
    ("于总说会跟进", "于总"),
    ("张工来修的", "张工"),
    ("欧阳经理很好", "欧阳经理"),
    ("Mr. Smith was rude", "Smith"),
    ("Mrs Jane Doe helped", "Jane Doe"),
    ("Dr. Wong explained", "Wong"),
    ("Ms Chan called back", "Chan"),
    ("thanks to Miss O'Brien", "O'Brien"),
]
# must stay as written (no false positives)
KEEP = [
    "价格2024年上涨了15%",
    "等了3天",
    "model XC-2000 broke",
    "order 20240315 delivered",
    "满意度8分",
    "2025-03-01 visit",
    "spent 12,500 yuan",
    "服务很好",
    "The service was great",
    "version 1.2.3",
    "王牌产品",
    "Mr",
    "小时候",
    "老客户",
    "ISO 9001 certified",
    "wave 2025 results",
    "+11.53",
    "+11.53 0.034 364",
    "-0.25 +1.5 (0.8, 2.2)",
    "1,234 5,678",
    "sha256 31830632130d",
    "file 31830632130d.csv",
    # one-character titles that begin a word (于总 in 低于总体, 张工 in 主张工作), seen in the zh report
    "成都的敬业度指数显著低于总体",
    "显著高于/低于总体",
    "我们主张工作日上门",
]


@pytest.mark.parametrize("text,secret", PII, ids=[f"pii-{i:02d}" for i in range(len(PII))])
def test_each_form_is_masked(text, secret):
    out = mask_pii(text)
    assert secret not in out, out
    assert "[" in out  # replaced by a replacement text, not deleted


@pytest.mark.parametrize("text", KEEP, ids=[f"keep-{i:02d}" for i in range(len(KEEP))])
def test_ordinary_text_is_left_alone(text):
    assert mask_pii(text) == text


def test_kinds_of_replacement():
    out = mask_pii("王经理 13812345678 a.b@example.com 110101199003071234")
    assert out == "[name] [phone] [email] [id]"


def test_masking_is_idempotent():
    for text, _ in PII:
        once = mask_pii(text)
        assert mask_pii(once) == once


def test_quotations_in_a_report_are_masked_whatever_the_caller_did():
    comments = [text for text, _ in PII]
    html = tables.verbatims(comments)._repr_html_()
    for _, secret in PII:
        assert (
            secret not in html and secret.replace("&", "&amp;").replace("'", "&#x27;") not in html
        )
    raw = tables.verbatims(["call (415) 555-0199"], mask=False)._repr_html_()
    assert "555-0199" in raw  # the masking above is what removed them
