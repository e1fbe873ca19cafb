import re
from pathlib import Path

import pytest

from realname.documents import (
    DEFENCE_DOCUMENT_CODES,
    DEFENCE_REGISTRAR,
    DEFENCE_UNIT,
    SPECIAL_OCCUPATION,
    allows_resident_id,
    document_types,
    expected_documents,
    find_document_mentions,
    find_document_type,
    get_document,
    holder_type_of,
    is_expected_document,
    known_regions,
    special_holder_kind,
    special_occupation_advice,
)

SOURCES = Path(__file__).parents[2] / "knowledge" / "sources"
FAILURES = (SOURCES / "aliyun-realname-failures.zh.txt").read_text("utf-8")
HOLDER_TYPE_NAMES = {"个人": "individual", "企业/组织": "organisation"}
REGIONS = ["中国内地", "中国香港", "中国澳门", "中国台湾", "其他国家和地区"]


def listed_types():
    """(holder type, name, code) rows of the table in document-types.zh.md."""
    text = (SOURCES / "document-types.zh.md").read_text("utf-8")
    return [(HOLDER_TYPE_NAMES[holder], name, code)
            for holder, name, code in re.findall(r"^\|(个人|企业/组织)\|([^|]+)\|([A-Z]+)\|$", text, re.MULTILINE)]


LISTED = listed_types()


def test_every_listed_type_is_in_the_yaml_and_nothing_else():
    assert len(LISTED) == 27
    assert [code for _, _, code in LISTED] == list(document_types())


@pytest.mark.parametrize("holder_type, name, code", LISTED)
def test_listed_type(holder_type, name, code):
    document = get_document(code)
    assert document.name == name
    assert document.holder_type == holder_type
    assert holder_type_of(code) == holder_type
    assert document.regions and set(document.regions) <= set(REGIONS)
    assert document.number_kind in (None, "uscc", "resident_id")
    assert (document.number_kind is None) == (document.number_basis is None)


@pytest.mark.parametrize("holder_type, name, code", LISTED)
def test_official_name_and_every_alias_resolve_to_the_type(holder_type, name, code):
    assert find_document_type(name) == code
    assert find_document_type(code.lower()) == code
    for alias in get_document(code).aliases:
        assert find_document_type(alias) == code, alias


def test_no_alias_belongs_to_two_types():
    owner = {}
    for document in document_types().values():
        for alias in (document.name, *document.aliases):
            assert owner.setdefault(alias.lower(), document.code) == document.code, alias


@pytest.mark.parametrize("text, code", [
    ("身份证", "SFZ"), ("二代身份证", "SFZ"), ("居民身份证", "SFZ"), ("我用的是身份证", "SFZ"),
    ("护照", "HZ"), ("Passport", "HZ"),
    ("港澳通行证", "TXZ"), ("回乡证", "TXZ"), ("港澳居民来往内地通行证", "TXZ"),
    ("台胞证", "TW"), ("台湾居民来往大陆通行证", "TW"),
    ("外国人永久居留证", "WAIGUOREN"), ("绿卡", "WAIGUOREN"), ("外国人永久居留身份证", "WAIGUOREN"),
    ("港澳台居民居住证", "HKMOJUMIN"), ("港澳台居住证", "HKMOJUMIN"),
    ("营业执照", "YYZZ"), ("工商营业执照", "YYZZ"), ("营业执照副本", "YYZZ"),
    ("信用代码证", "XYDM"), ("统一社会信用代码证书", "XYDM"),
    ("组织机构代码证", "ORG"),
    ("事业单位法人证书", "SHIYEDANWEI"),
    ("部队代号", "BUDUIDAIHAO"), ("军队单位对外有偿服务许可证", "JUNDUIFUWU"),
    ("境外机构证件", "WAIGUOJIGOU"),
    ("通行证", None),                 # TXZ or TW: ask
    ("居住证", None),
    ("身份证和营业执照", None),        # two types named
    ("我的统一社会信用代码是…", None),  # the number, not the certificate
    ("", None),
])
def test_find_document_type(text, code):
    assert find_document_type(text) == code


def test_longest_alias_wins():
    mentions = find_document_mentions("我用外国人永久居留身份证和营业执照")
    assert [m.code for m in mentions] == ["WAIGUOREN", "YYZZ"]


# ----------------------------------------------------------------------------------------------- numbers


@pytest.mark.parametrize("code", ["YYZZ", "XYDM", "ORG"])
def test_source_named_uscc_documents(code):
    # 「营业执照、统一社会信用代码证书、组织机构代码证等含有有效的18位统一社会信用代码的证件」
    assert get_document(code).carries_uscc
    assert get_document(code).number_basis == "source"
    assert get_document(code).name.replace("工商", "") in FAILURES


def test_every_mainland_organisation_document_except_defence_carries_uscc():
    for document in document_types().values():
        if document.holder_type == "organisation" and document.regions == ("中国内地",):
            assert document.carries_uscc is (document.code not in DEFENCE_DOCUMENT_CODES), document.code


@pytest.mark.parametrize("code, resident_id", [
    ("SFZ", True), ("HKMOJUMIN", True), ("HZ", False), ("TXZ", False), ("TW", False), ("WAIGUOREN", False),
])
def test_resident_id_documents(code, resident_id):
    assert get_document(code).carries_resident_id is resident_id
    assert not get_document(code).carries_uscc


def test_foreign_organisation_document_has_no_known_number_format():
    assert get_document("WAIGUOJIGOU").number_kind is None


# ----------------------------------------------------------------------------------------------- expectations


@pytest.mark.parametrize("region, expected", [
    ("中国内地", ["SFZ"]),
    ("中国香港", ["HZ", "TXZ", "HKMOJUMIN"]),
    ("中国澳门", ["HZ", "TXZ", "HKMOJUMIN"]),
    ("中国台湾", ["HZ", "TW", "HKMOJUMIN"]),
    ("其他国家和地区", ["HZ", "WAIGUOREN"]),
])
def test_expected_documents_for_individuals(region, expected):
    assert expected_documents(region, "individual") == expected


def test_expected_documents_for_mainland_organisations():
    codes = expected_documents("中国内地", "organisation")
    assert codes[:3] == ["YYZZ", "XYDM", "ORG"]
    assert all(get_document(code).carries_uscc for code in codes)
    assert not set(codes) & set(DEFENCE_DOCUMENT_CODES)
    assert "WAIGUOJIGOU" not in codes


@pytest.mark.parametrize("region", ["中国香港", "中国澳门", "中国台湾", "其他国家和地区"])
def test_expected_documents_for_organisations_outside_mainland(region):
    assert expected_documents(region, "organisation") == ["WAIGUOJIGOU"]


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("holder_type", ["individual", "organisation"])
def test_expected_documents_fit_region_and_holder(region, holder_type):
    for code in expected_documents(region, holder_type):
        document = get_document(code)
        assert document.holder_type == holder_type
        assert region in document.regions


def test_is_expected_document():
    assert is_expected_document("中国内地", "individual", "sfz")
    assert not is_expected_document("中国内地", "individual", "HZ")
    assert not is_expected_document("中国香港", "individual", "SFZ")
    assert is_expected_document("中国内地", "organisation", "YYZZ")


@pytest.mark.parametrize("region, holder_type", [("香港", "individual"), ("中国内地", "person")])
def test_expected_documents_rejects_unknown_values(region, holder_type):
    with pytest.raises(ValueError):
        expected_documents(region, holder_type)


def test_known_regions_are_the_five():
    assert sorted(known_regions()) == sorted(REGIONS)


# ----------------------------------------------------------------------------------------------- special holders


@pytest.mark.parametrize("text, kind", [
    ("我是军人", SPECIAL_OCCUPATION),
    ("持有者是现役军官", SPECIAL_OCCUPATION),
    ("我是出家人", SPECIAL_OCCUPATION),
    ("僧人可以用身份证吗", SPECIAL_OCCUPATION),
    ("我们是部队下属单位", DEFENCE_UNIT),
    ("提示国防机构", DEFENCE_UNIT),
    ("我是普通公司", None),
    ("", None),
])
def test_special_holder_kind(text, kind):
    assert special_holder_kind(text) == kind
    assert allows_resident_id(text) is (kind is None)


def test_special_occupation_advice_is_from_the_source():
    advice = special_occupation_advice()
    assert "18位身份证号码" in advice.text("zh") and "更换" in advice.text("zh")
    assert "军人、僧人等" in FAILURES
    assert "18-digit resident identity card number" in advice.text("en")  # the English page's words


def test_defence_units_are_from_the_source():
    assert DEFENCE_REGISTRAR == "北京神州长城通信技术发展中心"
    assert DEFENCE_REGISTRAR in FAILURES
    assert DEFENCE_DOCUMENT_CODES == ("BUDUIDAIHAO", "JUNDUIFUWU")
