"""How a refused service's messages read on a page (hejie.web.common.i18n.field_messages / form_errors): the one
place every area's forms take them from."""

from django.utils import translation

from hejie.core.errors import InvalidInput
from hejie.web.common.i18n import field_messages, form_errors

WRONG = InvalidInput("请检查以下内容 (please check these)", fields={
    "credit_code": "duplicate",  # a code, not words
    "name": "请填写商户名称 (the name is required)",
    "note": "太长 (too long)",
})


def test_each_field_reads_in_the_reader_s_language_and_a_bare_code_gets_the_error_s_message():
    assert field_messages(WRONG) == {"credit_code": "请检查以下内容", "name": "请填写商户名称", "note": "太长"}
    with translation.override("en"):
        assert field_messages(WRONG)["name"] == "The name is required"
        assert field_messages(WRONG)["credit_code"] == "Please check these"


def test_an_error_about_no_field_goes_under_the_default():
    bare = InvalidInput("出错了 (something is wrong)")
    assert field_messages(bare) == {"form": "出错了"}
    assert field_messages(bare, "phone") == {"phone": "出错了"}


def test_form_errors_put_each_message_beside_its_input_and_the_rest_once_on_top():
    errors, general = form_errors(WRONG, {"name": "business_name"})
    assert errors == {"business_name": "请填写商户名称"}
    assert general == ["请检查以下内容", "太长"]
    assert form_errors(InvalidInput("出错了 (wrong)"), {"x": "y"}) == ({}, ["出错了"])
