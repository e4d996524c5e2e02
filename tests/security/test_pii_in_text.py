"""Personal data in free text (issue 15, finding 4) and a suspended business (finding 10), from
the side of those refused.

A consumer types their phone (in several ways), ID-card number, bank card and landline into the
description, a message and the reason they refuse an offer. Whoever does not hold the right on
the order (``access.may_see_personal_data_on``): a council member without ``sees_personal_data``,
and the staff of a business once it is suspended, reads the order through every face: the API's
order, the pages, the council's exports, their notices, the webhooks' bodies and their log. None of
those forms may appear, nor the consumer's own phone and name. Those who hold the right (the
consumer, the active business the order was delivered to, a member granted the right) read them
as typed. A suspended business does not read, at all, an order waiting in the council's queue.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from hejie.accounts import privacy
from hejie.businesses.services import business_suspend
from hejie.notifications.models import Notification
from tests.api.conftest import Api
from tests.webhooks.fixtures import receiver, webhook_settings  # noqa: F401 - fixtures used below

pytestmark = pytest.mark.django_db

CARD = "6222021234567890128"  # passes the Luhn check
FORMS = ["13800138000", "+86 138-0013-8000", "138 0013 8000", "11010519491231002X", CARD, "027-85551234",
         "6222 0212 3456 7890 128", "wang.xiaoming@example.com"]
# Pieces that must not survive masking either (the middle digits, the birth date, the card's middle).
PIECES = ["0013-8000", "0013 8000", "19491231", "1234567890", "8555", "wang.xiaoming"]
TEXT = ("手机 13800138000，也可以打 +86 138-0013-8000 或 138 0013 8000；身份证 11010519491231002X，"
        f"退款请打到银行卡 {CARD}（6222 0212 3456 7890 128），座机 027-85551234，邮箱 wang.xiaoming@example.com。")
CONSUMER_PHONE = "13912345678"
CONSUMER_NAME = "王小明"


def leaks(text: str) -> list[str]:
    """The forms and pieces of personal data found in ``text`` (JSON may escape nothing here:
    digits, +, -, X and spaces are written as they are)."""
    return [f for f in [*FORMS, *PIECES, CONSUMER_PHONE, CONSUMER_NAME] if f in text]


@pytest.fixture
def case(traveller, make_business, make_user, client, django_capture_on_commit_callbacks):
    """An order delivered to an active business, the consumer's personal data typed into the
    description, a message and the refusal of an offer; its business's staff (an admin), a council
    member of its region without the right and one with it."""
    business = make_business("武汉热干面馆")
    staff = make_user("business", business=business, is_business_admin=True)
    consumer = make_user("consumer", phone=CONSUMER_PHONE, display_name=CONSUMER_NAME)
    api = Api(client)
    r = api.post("/complaints", {"business_id": business.pk, "problem_type": "quality", "description": TEXT,
                                 "claim_type": "refund", "claim_amount": "38.00"}, as_=consumer)
    assert r.status_code == 201, r.json()
    cid = r.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/complaints/{cid}/messages", {"body": "您好，我们正在核实。"}, as_=staff).status_code == 201
        assert api.post(f"/complaints/{cid}/messages", {"body": TEXT}, as_=consumer).status_code == 201
        offer = api.post(f"/complaints/{cid}/proposals", {"terms": "退款 10 元", "amount": "10"}, as_=staff).json()
        r = api.post(f"/complaints/{cid}/proposals/{offer['id']}/reject", {"reason": TEXT}, as_=consumer)
        assert r.status_code == 200, r.json()
    return {
        "api": api, "id": cid, "business": business, "staff": staff, "consumer": consumer,
        "member": make_user("council", region="420100"),
        "granted": make_user("council", region="420100", sees_personal_data=True),
        "client": client,
    }


def _page(client, user, url: str) -> str:
    client.force_login(user)
    r = client.get(url)
    assert r.status_code == 200, url
    return r.content.decode()


# --------------------------------------------------------------------------- the masking itself


@pytest.mark.parametrize(("text", "masked"), [
    ("13800138000", "138****8000"),
    ("+86 138-0013-8000", "138****8000"),
    ("0086 138 0013 8000", "138****8000"),
    ("138.0013.8000", "138****8000"),
    ("１３８００１３８０００", "138****8000"),  # full-width digits, as a phone keyboard may type them
    ("11010519491231002X", "110105************"),
    ("110105 19491231 002x", "110105************"),
    (CARD, "622202*********0128"),
    ("6222 0212 3456 7890 128", "622202*********0128"),
    ("4111-1111-1111-1111", "411111******1111"),
    ("027-85551234", "027-****1234"),
    ("(0755) 1234 5678", "(0755)-****5678"),
    ("wang.xiaoming@example.com", "w***@example.com"),
])
def test_each_form_is_masked(text, masked):
    assert privacy.scrub(f"电话：{text}。") == f"电话：{masked}。"


@pytest.mark.parametrize("text", [
    "订单号 2026031512345678901",  # 19 digits failing the Luhn check: an order number stays readable
    "运单 6222021234567890123",  # also fails it: a number that only looks like a card is left as written
    "订单 202603151234567890",  # 18 digits whose "birth date" (15123456) is no date: not an ID number
    "金额 138 元，共 12 件，2026-03-15 10:30",
    "400-820-8820",  # a business's hotline: not a consumer's
])
def test_what_is_not_personal_data_is_left_as_written(text):
    assert privacy.scrub(text) == text


def test_masking_twice_changes_nothing():
    once = privacy.scrub(TEXT)
    assert privacy.scrub(once) == once and not leaks(once.replace(CONSUMER_NAME, ""))


# --------------------------------------------------------------------------- council staff without the right


def test_a_member_without_the_right_reads_none_of_it_through_the_api(case):
    r = case["api"].get(f"/complaints/{case['id']}", as_=case["member"])
    assert r.status_code == 200
    body = r.json()
    assert body["consumer"] == {"display_name": "王**", "phone": "139****5678"}
    assert "138****8000" in body["description"] and "622202*********0128" in body["description"]
    assert leaks(r.content.decode()) == []  # description, messages, the refusal, the timeline's payloads


def test_a_member_without_the_right_reads_none_of_it_on_the_page(case):
    html = _page(case["client"], case["member"], f"/council/orders/{case['id']}/")
    assert "138****8000" in html and leaks(html) == []


def test_a_member_without_the_right_exports_none_of_it(case):
    client = case["client"]
    client.force_login(case["member"])
    text = b"".join(client.get("/council/orders/export.csv").streaming_content).decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(text)))) == 2 and leaks(text) == []
    data = b"".join(client.get("/council/orders/export.xlsx").streaming_content)
    cells = " ".join(str(v) for row in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)
                     for v in row if v is not None)
    assert "138****8000" in cells and leaks(cells) == []


def test_those_who_hold_the_right_read_it_as_typed(case):
    api = case["api"]
    for who in ("consumer", "staff", "granted"):
        body = api.get(f"/complaints/{case['id']}", as_=case[who]).json()
        assert body["description"] == TEXT and body["messages"][-1]["body"] == TEXT, who
        assert body["consumer"]["phone"] == CONSUMER_PHONE, who
    html = _page(case["client"], case["granted"], f"/council/orders/{case['id']}/")
    assert "11010519491231002X" in html and CARD in html


# --------------------------------------------------------------------------- a suspended business


def _suspend(case):
    business_suspend(actor=case["granted"], business=case["business"], reason="预付卡门店关闭，暂停入驻")


def test_suspension_ends_the_business_reading_personal_data_through_the_api(case):
    api = case["api"]
    assert leaks(api.get(f"/complaints/{case['id']}", as_=case["staff"]).content.decode())  # until now: the right
    _suspend(case)
    r = api.get(f"/complaints/{case['id']}", as_=case["staff"])
    assert r.status_code == 200  # it may still settle what was delivered before the suspension
    assert r.json()["consumer"] == {"display_name": "王**", "phone": "139****5678"}
    assert leaks(r.content.decode()) == []


def test_suspension_ends_it_on_the_workbench_and_the_notices_page(case):
    assert Notification.objects.filter(user=case["staff"], body__contains="13800138000").exists()  # told before
    _suspend(case)
    html = _page(case["client"], case["staff"], f"/complaints/{case['id']}/")
    assert "138****8000" in html and leaks(html) == []
    notices = _page(case["client"], case["staff"], "/notices/")
    assert "有新消息" in notices and leaks(notices) == []


def test_a_suspended_business_is_told_nothing_personal(case, django_capture_on_commit_callbacks):
    _suspend(case)
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        r = case["api"].post(f"/complaints/{case['id']}/messages", {"body": TEXT}, as_=case["consumer"])
    assert r.status_code == 201
    [told] = Notification.objects.filter(user=case["staff"])
    assert "138****8000" in told.body and leaks(told.body) == []


def test_a_suspended_business_reads_no_order_waiting_in_the_councils_queue(case, make_user):
    _suspend(case)
    api, client = case["api"], case["client"]
    r = api.post("/complaints", {"business_id": case["business"].pk, "problem_type": "quality",
                                 "description": TEXT, "claim_type": "refund", "claim_amount": "20.00"},
                 as_=make_user("consumer"))
    queued = r.json()
    assert r.status_code == 201 and queued["state"] == "pending_review"
    assert api.get(f"/complaints/{queued['id']}", as_=case["staff"]).status_code == 404
    listed = api.get("/complaints", as_=case["staff"]).json()["items"]
    assert [o["id"] for o in listed] == [case["id"]]
    client.force_login(case["staff"])
    assert client.get(f"/complaints/{queued['id']}/").status_code == 404
    assert queued["number"] not in client.get("/complaints/?view=all").content.decode()
    # the council sees it, masked for the member without the right
    assert leaks(api.get(f"/complaints/{queued['id']}", as_=case["member"]).content.decode()) == []


def test_a_suspended_business_webhooks_carry_no_personal_data(case, webhook_settings, receiver,  # noqa: F811
                                                              django_capture_on_commit_callbacks):
    from hejie.webhooks.services import endpoint_create

    endpoint = endpoint_create(actor=case["staff"], url=receiver.url, description="ERP")
    api = case["api"]
    offer = api.post(f"/complaints/{case['id']}/proposals", {"terms": "退款 20 元", "amount": "20"},
                     as_=case["staff"]).json()
    with django_capture_on_commit_callbacks(execute=True):  # before the suspension: the business holds the right
        api.post(f"/complaints/{case['id']}/proposals/{offer['id']}/reject", {"reason": TEXT}, as_=case["consumer"])
    assert leaks(receiver.received[-1].body.decode())
    log = api.get(f"/webhooks/{endpoint.pk}/deliveries", as_=case["staff"])
    assert leaks(log.content.decode())
    _suspend(case)
    assert leaks(api.get(f"/webhooks/{endpoint.pk}/deliveries", as_=case["staff"]).content.decode()) == []
    offer = api.post(f"/complaints/{case['id']}/proposals", {"terms": "退款 30 元", "amount": "30"},
                     as_=case["staff"]).json()
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/complaints/{case['id']}/proposals/{offer['id']}/reject", {"reason": TEXT}, as_=case["consumer"])
    body = receiver.received[-1].body.decode()
    assert '"proposal_rejected"' in body and "138****8000" in body and leaks(body) == []


def test_a_suspended_business_cannot_search_its_orders_by_a_guessed_phone(case):
    client = case["client"]
    client.force_login(case["staff"])

    def found(q: str) -> bool:
        return f"/complaints/{case['id']}/" in client.get("/complaints/", {"view": "all", "q": q}).content.decode()

    assert found("13800138000") and found("退款请打到银行卡")  # the active business searches the description
    _suspend(case)
    assert not found("13800138000") and not found("0013")  # masked text is no oracle
    number = case["api"].get(f"/complaints/{case['id']}", as_=case["staff"]).json()["number"]
    assert found(number)  # the order's number still finds it


def test_a_business_name_typed_by_the_consumer_is_free_text_too(case):
    api, client, member = case["api"], case["client"], case["member"]
    r = api.post("/complaints", {"business_name": "楼下小卖部 老板电话 13800138000", "region_code": "420102",
                                 "problem_type": "quality", "description": "买到过期食品，要求退款。",
                                 "claim_type": "refund", "claim_amount": "5.00"}, as_=case["consumer"])
    assert r.status_code == 201 and r.json()["state"] == "pending_review"
    cid = r.json()["id"]
    assert leaks(api.get("/complaints", as_=member).content.decode()) == []
    assert leaks(api.get(f"/complaints/{cid}", as_=member).content.decode()) == []
    assert "楼下小卖部 老板电话 138****8000" in _page(client, member, "/council/orders/?queue=review")
    assert leaks(_page(client, member, "/council/orders/")) == []
    assert leaks(_page(client, member, f"/council/orders/{cid}/")) == []
    export = b"".join(client.get("/council/orders/export.csv").streaming_content).decode("utf-8-sig")
    assert "楼下小卖部" in export and leaks(export) == []
    assert "13800138000" in api.get(f"/complaints/{cid}", as_=case["granted"]).content.decode()


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00"
       b"\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")


def test_a_files_name_is_free_text_too(case):
    from django.core.files.uploadedfile import SimpleUploadedFile

    api, client, member = case["api"], case["client"], case["member"]
    upload = SimpleUploadedFile("身份证11010519491231002X 13800138000.png", PNG, content_type="image/png")
    r = api.upload(f"/complaints/{case['id']}/evidence", {"file": upload}, as_=case["consumer"])
    assert r.status_code == 201, r.json()
    eid = r.json()["id"]
    with_file = api.post(f"/complaints/{case['id']}/messages", {"body": "照片见附件", "evidence_id": eid},
                         as_=case["consumer"])
    assert with_file.status_code == 201
    assert leaks(api.get(f"/complaints/{case['id']}", as_=member).content.decode()) == []
    got = api.get(f"/complaints/{case['id']}/evidence/{eid}", as_=member, download="true")
    assert got.status_code == 200 and leaks(unquote(got["Content-Disposition"])) == []
    assert leaks(_page(client, member, f"/council/orders/{case['id']}/")) == []
    _suspend(case)
    assert leaks(_page(client, case["staff"], f"/complaints/{case['id']}/")) == []
    got = api.get(f"/complaints/{case['id']}/evidence/{eid}", as_=case["staff"])
    assert got.status_code == 200 and leaks(unquote(got["Content-Disposition"])) == []
    got = api.get(f"/complaints/{case['id']}/evidence/{eid}", as_=case["granted"])
    assert "13800138000" in unquote(got["Content-Disposition"])
