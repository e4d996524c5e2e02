"""The workbench pages: joining (with the no-JS cascading picker and the JSON helpers),
the application's status, the business's own record, and its staff accounts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import authenticate

from hejie.accounts.models import User
from hejie.businesses import services
from hejie.businesses.models import Business
from hejie.complaints import services as complaints
from hejie.ratings.selectors import business_record_own, rating_breakdown, rating_outlook
from tests.accounts.phone_codes import issue_join_code
from tests.conftest import make_credit_code

pytestmark = pytest.mark.django_db


def form(**extra):
    data = {
        "name": "老王热干面", "credit_code": make_credit_code(), "industry": "catering",
        "region_l1": "420000", "region_l2": "420100", "region_l3": "420102", "address": "中山大道1号",
        "store_count": "1", "store-0-name": "中山大道店", "store-0-address": "中山大道1号",
        "contact_name": "王师傅", "contact_phone": "13912345678", "contact_email": "",
        "username": "laowang", "password": "re-gan-mian-2026", "accept_rules": "1", "apply": "1",
    }
    data.update(extra)
    if "phone_code" not in data:
        data["phone_code"] = issue_join_code(data["contact_phone"])
    return {k: v for k, v in data.items() if v is not None}


def error_of(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{re.escape(field)}-error">(.*?)</p>', html, re.S)
    return match.group(1).strip() if match else ""


def value_of(html: str, field: str) -> str | None:
    match = re.search(rf'<input id="{re.escape(field)}" name="{re.escape(field)}"[^>]*value="([^"]*)"', html)
    return match.group(1) if match else None


def selected(html: str, name: str) -> str | None:
    block = re.search(rf'<select id="{re.escape(name)}" name="{re.escape(name)}".*?</select>', html, re.S)
    if not block:
        return None
    match = re.search(r'<option value="(\d*)" selected>', block.group(0))
    return match.group(1) if match else ""


# ---------------------------------------------------------------- the join form


def test_join_form_renders_for_a_visitor_with_every_part(zh):
    html = zh.get("/join/").content.decode()
    for text in ("商家入驻申请", "统一社会信用代码", "省份", "湖北省", "门店 1", "管理员账号", "我已阅读并接受平台规则",
                 "提交入驻申请", "hejie/workbench.js"):
        assert text in html, text
    assert 'name="region_l2"' in html and "武汉市" not in html  # the city comes after the province


def test_the_join_page_does_not_tell_a_stranger_whether_a_username_exists(zh, make_user):
    """Wrong code or another field wrong: the page for a taken username is the page for a free one."""
    make_user("council", region="420100", username="LaoWang")
    for changes in ({"name": ""}, {"phone_code": "000001"}):
        pages = []
        for username in ("laowang", "laoli"):
            response = zh.post("/join/", form(username=username, credit_code="91420102000000001X", **changes))
            html = response.content.decode().replace(username, "USERNAME")
            html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
            pages.append((response.status_code, error_of(html, "username"), html))
        assert pages[0][0] == pages[1][0] == 422 and pages[0][1] == pages[1][1] == ""
        assert pages[0][2] == pages[1][2]
    response = zh.post("/join/", form(username="laowang"))  # the phone proved: now it is said
    assert response.status_code == 422 and "已被使用" in error_of(response.content.decode(), "username")


def test_join_applies_signs_in_and_shows_waiting(zh, council):
    response = zh.post("/join/", form())
    assert response.status_code == 302 and response["Location"] == "/join/status/"
    business = Business.objects.get(name="老王热干面")
    admin = User.objects.get(username="laowang")
    assert admin.business == business and admin.is_business_admin
    assert business.stores.get().name == "中山大道店"
    html = zh.get("/join/status/").content.decode()
    assert "等待审核" in html and "老王热干面" in html
    assert business.created_at.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M") in html


def test_wrong_check_character_is_beside_the_field_and_everything_typed_is_kept(zh):
    code = make_credit_code()
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    response = zh.post("/join/", form(credit_code=bad, contact_email="wang@example.com"))
    assert response.status_code == 422
    html = response.content.decode()
    assert "校验位不正确" in error_of(html, "credit_code")
    assert 'aria-describedby="credit_code-hint credit_code-live credit_code-error"' in html
    for field, value in (("name", "老王热干面"), ("credit_code", bad), ("address", "中山大道1号"),
                         ("store-0-name", "中山大道店"), ("store-0-address", "中山大道1号"), ("contact_name", "王师傅"),
                         ("contact_phone", "13912345678"), ("contact_email", "wang@example.com"),
                         ("username", "laowang")):
        assert value_of(html, field) == value, field
    assert (selected(html, "region_l1"), selected(html, "region_l2"), selected(html, "region_l3")) == (
        "420000", "420100", "420102")
    assert re.search(r'<option value="catering" selected>', html)
    assert 'id="accept_rules" name="accept_rules" value="1" checked' in html
    assert not Business.objects.exists()


def test_missing_county_is_beside_the_picker(zh):
    html = zh.post("/join/", form(region_l3="")).content.decode()
    assert "请继续选择湖北省武汉市下的区县" in error_of(html, "region_code")
    assert selected(html, "region_l2") == "420100" and selected(html, "region_l3") == ""
    html = zh.post("/join/", form(region_l1="", region_l2="", region_l3="")).content.decode()
    assert error_of(html, "region_code") == "请选择所在地区"


def test_duplicate_credit_code_is_beside_the_field(zh, make_business):
    existing = make_business()
    response = zh.post("/join/", form(credit_code=existing.credit_code))
    assert response.status_code == 422
    assert "该统一社会信用代码已有商户申请或入驻" in error_of(response.content.decode(), "credit_code")


def test_a_refused_business_joins_again_through_the_form(zh, council):
    code = make_credit_code()
    business = join_as(zh, credit_code=code)
    services.business_refuse(actor=council, business=business, reason="营业执照与名称不符")
    assert "营业执照与名称不符" in zh.get("/join/status/").content.decode()  # the old admin sees why
    zh.post("/signout/")
    response = zh.post("/join/", form(credit_code=code, name="老王热干面总店", username="laowang2",
                                      **{"store-0-name": "江汉路店", "region_l3": "420103"}))
    assert response.status_code == 302 and response["Location"] == "/join/status/"
    business.refresh_from_db()
    assert business.status == "applied" and business.status_reason == "" and business.name == "老王热干面总店"
    assert Business.objects.count() == 1
    assert set(business.staff.values_list("username", flat=True)) == {"laowang", "laowang2"}
    assert list(business.stores.values_list("name", flat=True)) == ["江汉路店"]
    html = zh.get("/join/status/").content.decode()  # signed in as the new admin
    assert "等待审核" in html and "老王热干面总店" in html and "营业执照与名称不符" not in html
    # once it is an application again, the code is taken
    zh.post("/signout/")
    response = zh.post("/join/", form(credit_code=code, username="laowang3"))
    assert response.status_code == 422
    assert "该统一社会信用代码已有商户申请或入驻" in error_of(response.content.decode(), "credit_code")


def test_many_errors_at_once_in_english(en):
    response = en.post("/join/", form(name="", username="", password="short", accept_rules=None,
                                      **{"store-0-region_l1": "420000"}))
    html = response.content.decode()
    assert response.status_code == 422
    assert error_of(html, "name") == "Business name is required"  # the label, translated
    assert error_of(html, "username") == "Username is required"
    assert error_of(html, "password").startswith("Password rejected")
    assert error_of(html, "accept_rules") == "Accept the platform&#x27;s rules to join"
    assert "Choose the county or district within 湖北省" in error_of(html, "store-0-region_code")


def test_send_code_texts_the_contact_phone_and_keeps_everything_typed(zh, sms, django_capture_on_commit_callbacks):
    data = {k: v for k, v in form(phone_code="", contact_email="wang@example.com").items() if k != "apply"}
    with django_capture_on_commit_callbacks(execute=True):
        response = zh.post("/join/", {**data, "send_code": "1"})
    html = response.content.decode()
    assert response.status_code == 200 and not Business.objects.exists()
    assert "验证码已发送至 139****5678" in html
    assert len(sms) == 1 and sms[0].to == "13912345678"
    for field in ("name", "credit_code", "address", "contact_name", "contact_phone", "contact_email", "username",
                  "store-0-name", "store-0-address"):
        assert value_of(html, field) == data[field], field
    assert selected(html, "region_l3") == "420102" and '<option value="catering" selected>' in html
    assert 'name="accept_rules" value="1" checked' in html
    assert 'value="re-gan-mian-2026"' not in html  # the password is not sent back
    code = re.search(r"\b(\d{6})\b", sms[0].body).group(1)
    response = zh.post("/join/", {**data, "phone_code": code, "apply": "1"})
    assert response.status_code == 302 and Business.objects.get().contact_phone == "13912345678"


def test_send_code_errors_are_beside_the_phone(zh, sms, django_capture_on_commit_callbacks):
    data = {k: v for k, v in form(phone_code="").items() if k != "apply"}
    response = zh.post("/join/", {**data, "contact_phone": "12345", "send_code": "1"})
    assert response.status_code == 422 and "中国大陆11位手机号" in error_of(response.content.decode(), "contact_phone")
    with django_capture_on_commit_callbacks(execute=True):
        assert zh.post("/join/", {**data, "send_code": "1"}).status_code == 200
    response = zh.post("/join/", {**data, "send_code": "1"})
    html = response.content.decode()
    assert response.status_code == 429 and "验证码发送过于频繁" in error_of(html, "contact_phone")
    assert value_of(html, "name") == "老王热干面" and len(sms) == 1


def test_a_wrong_or_missing_code_is_beside_its_field(zh):
    response = zh.post("/join/", form(phone_code="000000" if issue_join_code() != "000000" else "111111"))
    html = response.content.decode()
    assert response.status_code == 422 and "验证码错误，还可尝试4次" in error_of(html, "phone_code")
    assert value_of(html, "phone_code") is not None and not Business.objects.exists()
    response = zh.post("/join/", form(phone_code="", name=""))
    html = response.content.decode()
    assert response.status_code == 422
    assert error_of(html, "phone_code") == "请输入发送到联系电话的短信验证码" and error_of(html, "name")


def test_the_industry_s_standards_are_shown_and_must_be_accepted(zh, make_user):
    from hejie.standards import services as std
    from hejie.standards.models import StandardAcceptance

    operator = make_user("operator")
    standard = std.standard_create(actor=operator, industry="catering", title="餐饮服务规范", publisher_name="协会")
    std.version_draft(actor=operator, standard=standard)
    std.clause_set(actor=operator, standard=standard, version=1, number="3.2", text="出现异物的菜品，全额退款。")
    std.version_publish(actor=operator, standard=standard, version=1)
    html = zh.post("/join/", {k: v for k, v in form(pick="industry").items() if k != "apply"}).content.decode()
    assert "餐饮服务规范（第 1 版）" in html and "出现异物的菜品，全额退款。" in html
    html = zh.post("/join/", form()).content.decode()
    assert "请阅读并接受本行业的服务标准" in error_of(html, "accept_standards")
    zh.post("/join/", form(accept_standards="1"))
    assert StandardAcceptance.objects.filter(business__name="老王热干面", version__standard=standard).exists()
    # another industry does not show catering's standard
    zh.logout()
    html = zh.post("/join/", {k: v for k, v in form(industry="retail", pick="industry").items()
                              if k != "apply"}).content.decode()
    assert re.search(r'<details class="wb-std" data-industry="catering" hidden>', html)
    assert re.search(r'<p class="muted wb-no-std">', html)


def test_no_js_picker_fills_step_by_step_and_keeps_everything(zh):
    base = {k: v for k, v in form(region_l1="420000", region_l2="", region_l3="").items() if k != "apply"}
    html = zh.post("/join/", {**base, "pick": "region"}).content.decode()
    assert selected(html, "region_l1") == "420000" and "武汉市" in html and "仙桃市" in html
    assert selected(html, "region_l2") == "" and value_of(html, "name") == "老王热干面"
    html = zh.post("/join/", {**base, "region_l2": "420100", "pick": "region"}).content.decode()
    assert selected(html, "region_l2") == "420100" and "江岸区" in html
    html = zh.post("/join/", {**base, "region_l2": "420100", "region_l3": "420102", "pick": "region"}).content.decode()
    assert "已选：湖北省武汉市江岸区" in html and 'name="pick" value="region"' not in html
    # a changed province drops the city and county chosen under the old one
    html = zh.post("/join/", {**base, "region_l1": "110000", "region_l2": "420100", "region_l3": "420102",
                              "pick": "region"}).content.decode()
    assert selected(html, "region_l2") == "" and "东城区" in html and "江岸区" not in html
    assert not Business.objects.exists()


def test_no_js_stores_are_added_and_removed_keeping_the_others(zh):
    base = {k: v for k, v in form().items() if k != "apply"}
    html = zh.post("/join/", {**base, "add_store": "1"}).content.decode()
    assert 'name="store_count" value="2"' in html and value_of(html, "store-0-name") == "中山大道店"
    assert value_of(html, "store-1-name") == ""
    two = {**base, "store_count": "2", "store-1-name": "汉口店", "store-1-region_l1": "420000",
           "store-1-region_l2": "420100", "store-1-region_l3": "420103"}
    html = zh.post("/join/", {**two, "remove_store": "0"}).content.decode()
    assert 'name="store_count" value="1"' in html and value_of(html, "store-0-name") == "汉口店"
    assert selected(html, "store-0-region_l3") == "420103"
    zh.post("/join/", {**two, "apply": "1"})
    assert sorted(Business.objects.get().stores.values_list("name", "region_id")) == [
        ("中山大道店", "420102"), ("汉口店", "420103")]


def test_a_signed_in_consumer_gets_a_separate_business_account(zh, consumer):
    zh.force_login(consumer)
    assert "您现在以消费者身份（手机号）登录" in zh.get("/join/").content.decode()
    assert zh.post("/join/", form()).status_code == 302
    consumer.refresh_from_db()
    assert consumer.role == "consumer"
    assert zh.get("/join/status/").status_code == 200  # now signed in as the new admin


def test_staff_cannot_join_and_business_staff_go_to_their_status(zh, staff, council):
    zh.force_login(staff)
    assert zh.get("/join/")["Location"] == "/join/status/"
    zh.force_login(council)
    html = zh.get("/join/").content.decode()
    assert "不能用此账号申请入驻" in html and 'name="apply"' not in html
    assert zh.post("/join/", form()).status_code == 200 and not Business.objects.filter(name="老王热干面").exists()


def test_garbage_never_gives_a_500(zh):
    for data in ({"store_count": "x", "apply": "1"}, {"store_count": "99999", "apply": "1"},
                 {"remove_store": "x"}, {"remove_store": "7"}, {"region_l1": "abc", "pick": "region"},
                 {"credit_code": "\x00" * 5, "name": "\x00", "apply": "1"}):
        response = zh.post("/join/", data)
        nul = any("\x00" in value for value in data.values())  # refused at the edge (hejie.core.edge)
        assert response.status_code in ((400,) if nul else (200, 422)), data


# ---------------------------------------------------------------- the JSON helpers


@pytest.mark.parametrize(("raw", "status", "code"), [
    ("", 422, "required"), ("123", 422, "credit_code_length"), ("91420102MA4KXXXXXI", 422, "credit_code_chars"),
    ("x" * 500, 422, "credit_code_length")])
def test_credit_code_check_bad_input_is_422_json(zh, raw, status, code):
    response = zh.get("/join/check-code/", {"code": raw})
    assert response.status_code == status and response["Content-Type"] == "application/json"
    assert response.json()["ok"] is False and response.json()["code"] == code and response.json()["message"]


def test_credit_code_check_ok_and_wrong_check_character(zh, en):
    good = make_credit_code()
    response = zh.get("/join/check-code/", {"code": good.lower()})
    assert response.status_code == 200 and response.json() == {"ok": True, "code": good}
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = en.get("/join/check-code/", {"code": bad})
    assert response.status_code == 422
    assert response.json()["message"] == "The check character of the unified social credit code is wrong"


def test_region_options_json(zh):
    provinces = zh.get("/join/regions/").json()
    assert provinces["kind"] == "province" and {"code": "420000", "name": "湖北省"} in provinces["options"]
    hubei = zh.get("/join/regions/", {"parent": "420000"}).json()
    assert hubei["kind"] == "city" and {"code": "429004", "name": "仙桃市"} in hubei["options"]
    beijing = zh.get("/join/regions/", {"parent": "110000"}).json()
    assert beijing["kind"] == "county" and beijing["options"][0] == {"code": "110101", "name": "东城区"}
    assert zh.get("/join/regions/", {"parent": "441900"}).json()["options"] == []  # 东莞市: no counties
    for bad in ("12", "999999", "abcdef", "4201020"):
        response = zh.get("/join/regions/", {"parent": bad})
        assert response.status_code == 422 and response.json()["ok"] is False
    assert zh.get("/join/regions/", {"parent": "999999"}).json()["message"] == "未知的地区代码"


def test_region_options_refusal_in_english(en):
    response = en.get("/join/regions/", {"parent": "999999"})
    assert response.status_code == 422 and response.json()["message"] == "Unknown region code"


# ---------------------------------------------------------------- status


def join_as(client, council=None, **extra):
    client.post("/join/", form(**extra))
    return Business.objects.get(name=extra.get("name", "老王热干面"))


def test_status_page_for_each_status(zh, council):
    business = join_as(zh)
    assert "等待审核" in zh.get("/join/status/").content.decode()
    services.business_approve(actor=council, business=business)
    html = zh.get("/join/status/").content.decode()
    assert "已入驻" in html and 'href="/complaints/"' in html and "查看工单" in html
    services.business_suspend(actor=council, business=business, reason="多次未在期限内答复")
    html = zh.get("/join/status/").content.decode()
    assert "已暂停" in html and "多次未在期限内答复" in html
    Business.objects.filter(pk=business.pk).update(status="applied", status_reason="")
    services.business_refuse(actor=council, business=business, reason="营业执照与名称不符")
    html = zh.get("/join/status/").content.decode()
    assert "未通过" in html and "营业执照与名称不符" in html


def test_status_page_needs_business_staff(zh, consumer):
    assert zh.get("/join/status/")["Location"].startswith("/signin/staff/")
    zh.force_login(consumer)
    assert zh.get("/join/status/")["Location"] == "/join/"


# ---------------------------------------------------------------- the record


def settle(staff, complaint, traveller, hours):
    traveller.shift(dt.timedelta(hours=hours))
    proposal = complaints.proposal_make(actor=staff, complaint=complaint, terms="退款", amount="38.00")
    complaints.proposal_accept(actor=complaint.consumer, complaint=complaint, proposal_id=proposal.pk)


def test_record_numbers_match_the_selectors(zh, traveller, staff, business, file_complaint, make_user):
    fast = file_complaint(order_ref="A")
    settle(staff, fast, traveller, 2)  # within 24 h: 10 points
    slow = file_complaint(who=make_user("consumer"), order_ref="B")
    settle(staff, slow, traveller, 50)  # within 3 days: 8 points
    failed = file_complaint(who=make_user("consumer"), order_ref="C")
    traveller.shift(dt.timedelta(days=15))
    from hejie.ops.sweep import sweep
    sweep()
    failed.refresh_from_db()
    assert failed.stars == 0
    business.refresh_from_db()
    zh.force_login(staff)
    html = zh.get("/record/").content.decode()
    b = rating_breakdown(business=business)
    outlook = rating_outlook(breakdown=b)
    assert f"{b['credit_index']}" in html and f"{b['star_rating']}" in html
    assert b["cases"] == 3 and b["failed_total"] == 1
    assert f"信用指数 = （5 × 6.00 + 案件得分之和 18）÷（5 + 案件数 3）= {b['credit_index']}" in html
    assert f"{round(b['settlement_rate'] * 100, 1)}%" in html
    assert f"{b['median_hours_to_settle']} 小时" in html
    for case in (fast, slow, failed):
        assert f'href="/complaints/{case.pk}/">{case.number}</a>' in html
    assert "0 星，0 分（比满分少 10 分）" in html
    step = outlook["steps"][1]
    assert f"再有 5 件在 24 小时内和解，信用指数将达到 {step['credit_index']}" in html
    assert f"再有 {outlook['to_red_list']['more']} 件在 24 小时内和解，信用指数可达到红榜所需的 8.00" in html
    assert "不在黑榜或红榜上" in html


def test_record_page_queries_do_not_grow_with_cases(zh, traveller, staff, business, file_complaint, make_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settle(staff, file_complaint(order_ref="A"), traveller, 1)
    zh.force_login(staff)
    with CaptureQueriesContext(connection) as one:
        assert zh.get("/record/").status_code == 200
    for ref in "BCDE":
        settle(staff, file_complaint(who=make_user("consumer"), order_ref=ref), traveller, 1)
    with CaptureQueriesContext(connection) as five:
        assert zh.get("/record/").status_code == 200
    assert len(five) == len(one)
    assert zh.get("/record/").content.decode().count('class="order-biz"') == 5


def test_outlook_follows_the_formula():
    from decimal import Decimal

    b = {"prior_weight": 5, "cases": 3, "prior_points": Decimal(6), "prior_stars": Decimal(3), "points_total": 18,
         "stars_total": 9, "credit_index": Decimal("6.00")}
    outlook = rating_outlook(breakdown=b)
    # one more 24-hour settlement: (5 × 6 + 18 + 10) / (5 + 3 + 1) and (5 × 3 + 9 + 5) / 9
    assert outlook["steps"][0] == {"more": 1, "credit_index": Decimal("6.44"), "star_rating": Decimal("3.22")}
    # 8.00 needs m with (48 + 10 m) / (8 + m) >= 8  →  m >= 8
    assert outlook["to_red_list"]["more"] == 8 and outlook["to_red_list"]["credit_index"] == Decimal("8.00")
    assert rating_outlook(breakdown={**b, "cases": 0, "points_total": 0, "stars_total": 0})["steps"][0][
        "credit_index"] == Decimal("6.67")


def test_record_is_for_business_staff_only(zh, consumer, council, staff, business):
    assert zh.get("/record/").status_code == 302
    for who in (consumer, council):
        zh.force_login(who)
        assert zh.get("/record/").status_code == 404
    zh.force_login(staff)
    html = zh.get("/record/").content.decode()
    assert "暂未评级" in html and "暂无已结案件" in html
    assert business_record_own(business=business)["outlook"]["steps"][0]["credit_index"] is not None


# ---------------------------------------------------------------- staff


@pytest.fixture
def admin(make_user, business):
    return make_user("business", business=business, is_business_admin=True, display_name="王老板")


def test_admin_invites_and_sees_the_password_once(zh, admin):
    zh.force_login(admin)
    response = zh.post("/staff/", {"username": "xiaoli", "display_name": "小李"})
    assert response.status_code == 302 and response["Location"] == "/staff/"
    html = zh.get("/staff/").content.decode()
    password = re.search(r'<dd class="wb-code wb-password">([^<]+)</dd>', html).group(1)
    assert authenticate(username="xiaoli", password=password).display_name == "小李"
    assert "小李" in html and "密码只显示这一次" in html
    html = zh.get("/staff/").content.decode()
    assert password not in html and "小李" in html  # shown once


def test_invite_errors_beside_fields_keep_input(zh, admin, staff):
    zh.force_login(admin)
    response = zh.post("/staff/", {"username": staff.username, "display_name": "重名"})
    html = response.content.decode()
    assert response.status_code == 409 and "已被使用" in error_of(html, "username")
    assert value_of(html, "display_name") == "重名"
    response = zh.post("/staff/", {"username": "ok_name", "display_name": ""})
    assert response.status_code == 422 and error_of(response.content.decode(), "display_name") == "请填写姓名"


def test_remove_with_confirmation(zh, admin, staff):
    zh.force_login(admin)
    html = zh.get(f"/staff/{staff.pk}/remove/").content.decode()
    assert "确定移除" in html
    assert zh.post(f"/staff/{staff.pk}/remove/")["Location"] == "/staff/"
    staff.refresh_from_db()
    assert not staff.is_active
    assert "已移除" in zh.get("/staff/").content.decode()


def test_admin_cannot_remove_themself_on_the_page(zh, admin):
    zh.force_login(admin)
    response = zh.post(f"/staff/{admin.pk}/remove/")
    assert response.status_code == 409 and "不能移除自己的账号" in response.content.decode()


def test_make_admin_and_reset_password_on_the_page(zh, admin, staff):
    zh.force_login(admin)
    zh.post(f"/staff/{staff.pk}/admin/", {"is_admin": "1"})
    staff.refresh_from_db()
    assert staff.is_business_admin
    zh.post(f"/staff/{staff.pk}/password/")
    html = zh.get("/staff/").content.decode()
    password = re.search(r'<dd class="wb-code wb-password">([^<]+)</dd>', html).group(1)
    assert authenticate(username=staff.username, password=password) == staff
    response = zh.post(f"/staff/{admin.pk}/admin/", {"is_admin": "0"})
    assert response.status_code == 409 and "不能更改自己的管理员身份" in response.content.decode()


def test_staff_pages_are_404_to_everyone_else(zh, staff, consumer, council, admin, make_business, make_user):
    other_admin = make_user("business", business=make_business(), is_business_admin=True)
    for who in (staff, consumer, council, other_admin):
        zh.force_login(who)
        if who != other_admin:  # another business's admin has a staff page: their own
            assert zh.get("/staff/").status_code == 404, who
            assert zh.post("/staff/", {"username": "intruder", "display_name": "X"}).status_code == 404
        for action in ("remove", "admin", "password"):
            assert zh.post(f"/staff/{admin.pk}/{action}/").status_code == 404, (who, action)
    assert not User.objects.filter(username="intruder").exists()
    admin.refresh_from_db()
    assert admin.is_active and admin.is_business_admin
    zh.force_login(admin)  # and the other way round
    for action in ("remove", "admin", "password"):
        assert zh.post(f"/staff/{other_admin.pk}/{action}/").status_code == 404
        assert zh.post(f"/staff/99999999999999999999/{action}/").status_code == 404


def test_staff_pages_need_sign_in(zh):
    assert zh.get("/staff/")["Location"].startswith("/signin/staff/")
    assert zh.get("/record/")["Location"].startswith("/signin/staff/")
