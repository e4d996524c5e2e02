"""A consumer's rights over their data through the API: the download (only ever one's own) and
closing the account (open orders withdrawn after a warning, sign-in refused afterwards)."""

import datetime as dt
import io
import json
import zipfile

import pytest

from hejie.accounts.models import ApiToken, User
from hejie.accounts.services import token_create
from hejie.complaints import services
from hejie.complaints.evidence import evidence_add
from hejie.complaints.models import Complaint, Evidence
from hejie.complaints.states import State
from tests.api.test_auth import code_from
from tests.complaints.test_evidence import png

pytestmark = pytest.mark.django_db
SECRET = "13912345678"


@pytest.fixture(autouse=True)
def media(local_storage):
    return local_storage


def unzip(response) -> dict[str, bytes]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/zip" and "attachment" in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture
def a_order(file_complaint, consumer):
    order = file_complaint(description=f"面里有异物，我的另一个电话 {SECRET}。")
    evidence_add(actor=consumer, complaint=order, name="receipt.png", data=png())
    services.message_post(actor=consumer, complaint=order, body="请尽快处理")
    return order


def test_the_consumer_downloads_everything_held_about_them(api, consumer, a_order):
    files = unzip(api.get("/account/data", as_=consumer))
    assert {"README.txt", "account.json", "orders.json", "orders.csv", "draft.json"} <= set(files)
    account = json.loads(files["account.json"])
    assert account["phone"] == consumer.phone and account["id"] == consumer.pk
    orders = json.loads(files["orders.json"])
    assert [o["number"] for o in orders] == [a_order.number]
    assert SECRET in orders[0]["description"]  # their own data, unmasked
    assert orders[0]["timeline"] and orders[0]["timeline"][0]["by_me"] and orders[0]["timeline"][0]["at"]
    assert orders[0]["messages"][0]["body"] == "请尽快处理" and orders[0]["messages"][0]["by_me"]
    ev = Evidence.objects.get(complaint=a_order)
    path = orders[0]["evidence"][0]["file_in_zip"]
    assert files[path] == ev.file.open("rb").read()
    assert a_order.number in files["orders.csv"].decode("utf-8-sig")


def test_no_one_downloads_another_persons_data(api, make_user, staff, council, consumer, a_order):
    assert api.get("/account/data").status_code == 401
    other = make_user("consumer")
    for who in (other, staff, council):
        files = unzip(api.get("/account/data", as_=who))
        everything = b"".join(files.values())
        assert a_order.number.encode() not in everything
        assert SECRET.encode() not in everything and consumer.phone.encode() not in everything
        assert json.loads(files["orders.json"]) == []
        assert json.loads(files["account.json"])["id"] == who.pk
        assert not [n for n in files if n.startswith("files/")]
    # a query string naming someone else changes nothing: there is no such parameter
    files = unzip(api.get("/account/data", as_=other, user=consumer.pk, consumer=consumer.pk))
    assert json.loads(files["orders.json"]) == []


def test_closing_warns_about_open_orders_then_withdraws_them(api, sms, traveller, consumer, a_order,
                                                               django_capture_on_commit_callbacks):
    token = token_create(user=consumer)
    r = api.post("/account/close", {"code": "123456"}, as_=token)
    assert r.status_code == 409 and r.json()["error"]["code"] == "open_orders"
    assert "1" in r.json()["error"]["message"]
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/account/close/code", as_=token).status_code == 202
    code = code_from(sms)
    wrong = "000000" if code != "000000" else "111111"
    r = api.post("/account/close", {"code": wrong, "withdraw_open": True}, as_=token)
    assert r.status_code == 422 and r.json()["error"]["fields"]
    assert User.objects.get(pk=consumer.pk).closed_at is None
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post("/account/close", {"code": code, "withdraw_open": True}, as_=token)
    assert r.status_code == 200, r.json()
    assert (r.json()["withdrawn"], r.json()["pseudonymised"]) == (1, 1)
    order = Complaint.objects.get(pk=a_order.pk)
    assert order.state == State.WITHDRAWN and order.pseudonymised_at is not None
    assert SECRET not in order.description
    assert Evidence.objects.get(complaint=order).removed_at is not None
    user = User.objects.get(pk=consumer.pk)
    assert user.closed_at is not None and not user.is_active and not user.has_usable_password()
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    assert api.get("/account/data", as_=token).status_code == 401  # the token died with the account
    # signing in again with the phone says the account is closed
    traveller.shift(dt.timedelta(minutes=5))  # past the wait between two codes to one number
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/auth/code", {"phone": consumer.phone}).status_code == 202
    r = api.post("/auth/token", {"phone": consumer.phone, "code": code_from(sms)})
    assert r.status_code == 403 and r.json()["error"]["code"] == "account_closed"
    assert "注销" in r.json()["error"]["message"]
    assert User.objects.filter(phone=consumer.phone).count() == 1  # no new account made


def test_an_order_in_mediation_blocks_closing(api, consumer, staff, a_order):
    services.complaint_refuse(actor=staff, complaint=a_order, reason="不同意退款")
    services.mediation_request(actor=consumer, complaint=a_order, reason="请调解")
    r = api.post("/account/close", {"code": "123456", "withdraw_open": True}, as_=consumer)
    assert r.status_code == 409 and r.json()["error"]["code"] == "mediation_open"
    assert a_order.number in r.json()["error"]["message"]


def test_staff_cannot_close_here(api, staff, council):
    for who in (staff, council):
        r = api.post("/account/close", {"password": "whatever", "withdraw_open": True}, as_=who)
        assert r.status_code == 403 and r.json()["error"]["code"] == "consumers_only"
        assert api.post("/account/close/code", as_=who).status_code == 403
    assert api.post("/account/close", {"code": "123456"}).status_code == 401
    assert not User.objects.filter(closed_at__isnull=False).exists()


def test_closing_without_orders_needs_only_the_code(api, sms, make_user, django_capture_on_commit_callbacks):
    who = make_user("consumer")
    r = api.post("/account/close", {}, as_=who)
    assert r.status_code == 422 and r.json()["error"]["code"] == "code_missing"
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/account/close/code", as_=who)
    r = api.post("/account/close", {"code": code_from(sms)}, as_=who)
    assert r.status_code == 200 and r.json()["withdrawn"] == 0
