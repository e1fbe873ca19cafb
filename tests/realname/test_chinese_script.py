import pytest

from realname.chinese_script import to_simplified


@pytest.mark.parametrize("traditional, simplified", [
    # the official messages, as Hong Kong / Taiwan customers paste them
    ("證件電子信息核驗不合格", "证件电子信息核验不合格"),
    ("庫中無此號", "库中无此号"),
    ("聯繫人信息無效", "联系人信息无效"),
    ("聯絡人信息無效", "联络人信息无效"),
    ("國防機構", "国防机构"),
    ("註冊者證件不完整", "注册者证件不完整"),
    ("註冊聯繫人信息有誤，請檢測：Command syntax error", "注册联系人信息有误，请检测：Command syntax error"),
    ("多次嘗試上傳資料到審核機構，均失敗。", "多次尝试上传资料到审核机构，均失败。"),
    # regions, holder types, documents
    ("臺灣", "台湾"), ("台灣", "台湾"), ("中國香港", "中国香港"), ("澳門", "澳门"),
    ("個人", "个人"), ("企業", "企业"), ("組織", "组织"),
    ("護照", "护照"), ("營業執照", "营业执照"), ("身份證", "身份证"), ("証件", "证件"),
    # Hong Kong variant characters
    ("衞生局", "卫生局"), ("衹有", "只有"),
])
def test_traditional_becomes_simplified(traditional, simplified):
    assert to_simplified(traditional) == simplified


def test_mixed_script_and_typos_of_the_official_strings():
    assert to_simplified("证件電子信息核验不合格") == "证件电子信息核验不合格"
    assert to_simplified("庫中无此號") == "库中无此号"
    assert to_simplified("證件電子訊息核驗不合格") == "证件电子讯息核验不合格"  # the word stays, the script changes
    assert to_simplified("注冊联系人信息有誤,請检测:Command syntax error") == "注册联系人信息有误,请检测:Command syntax error"


@pytest.mark.parametrize("text", [
    "证件电子信息核验不合格，电子信息不通过，直接拒绝",
    "怎么办", "什么", "显著", "著名", "干什么", "只有", "里面", "头发", "台湾", "乾坤",
    "Command syntax error", "XML schema validation failed", "55 KB~5 MB",
    "110101199003070022", "ＡＢＣ１２３", "2026年11月3日", "2026-11-03", "【阿里云】（副本）「引号」",
    "", "   ",
])
def test_simplified_ascii_and_numbers_are_unchanged(text):
    assert to_simplified(text) == text


def test_none_passes_through():
    assert to_simplified(None) is None


@pytest.mark.parametrize("text", [
    "註冊聯繫人信息有誤，請檢測：Command syntax error (ID 12345)",
    "我的證件號碼是11010119900307002X，２０２６年１１月３日頒發",
    "後台顯示：庫中無此號 abc.cn",
])
def test_only_ideographs_change_and_the_length_is_kept(text):
    converted = to_simplified(text)
    assert len(converted) == len(text)
    for before, after in zip(text, converted):
        if before != after:
            assert "\u3400" <= before <= "\u9fff" and "\u3400" <= after <= "\u9fff"


def test_a_domain_with_a_traditional_top_level_label_is_kept_as_typed():
    # 中國 and 中国 are different top-level domains: the customer's domain is repeated exactly.
    assert to_simplified("我的域名是張三.中國，實名認證失敗") == "我的域名是張三.中國，实名认证失败"
    assert to_simplified("abc.網絡審核沒過") == "abc.網絡审核没过"


@pytest.mark.parametrize("text, expected", [
    ("想註冊.cn", "想注册.cn"),
    ("個人能註冊.中国嗎", "个人能注册.中国吗"),
    ("張三.中国", "张三.中国"),
    ("不合格.請重試", "不合格.请重试"),
    ("庫中無此號。請問", "库中无此号。请问"),  # 「。」 ends a sentence, it joins no labels
])
def test_other_dotted_text_is_converted(text, expected):
    assert to_simplified(text) == expected
