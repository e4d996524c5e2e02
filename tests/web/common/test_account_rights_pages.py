"""/account/data/ and /account/close/: the pages of a consumer's rights over their data."""

import datetime as dt
import io
import json
import re
import zipfile

import pytest

from hejie.accounts.models import User
from hejie.complaints.models import Complaint
from hejie.complaints.states import State

pytestmark = pytest.mark.django_db


def code_in(outbox) -> str:
    return re.search(r"\d{6}", outbox[-1].title + outbox[-1].body).group(0)


def test_the_data_page_and_its_zip_are_the_signed_in_persons_own(client, consumer, make_user, file_complaint):
    order = file_complaint()
    assert client.get("/account/data/").status_code == 302  # to sign in
    client.force_login(consumer)
    page = client.get("/account/data/")
    assert page.status_code == 200 and "下载我的数据" in page.content.decode()
    mine = client.get("/account/data/?format=zip")
    assert mine["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(mine.content)) as archive:
        assert [o["number"] for o in json.loads(archive.read("orders.json"))] == [order.number]
    other = make_user("consumer")
    client.force_login(other)
    theirs = client.get(f"/account/data/?format=zip&consumer={consumer.pk}")
    with zipfile.ZipFile(io.BytesIO(theirs.content)) as archive:
        assert json.loads(archive.read("orders.json")) == []
        assert order.number.encode() not in b"".join(archive.read(n) for n in archive.namelist())


def test_the_page_in_english(en, consumer):
    en.force_login(consumer)
    assert "Download my data" in en.get("/account/data/").content.decode()
    assert "Close my account" in en.get("/account/close/").content.decode()


def test_closing_on_the_page_warns_then_withdraws_and_signs_out(client, sms, traveller, consumer, file_complaint,
                                                                django_capture_on_commit_callbacks):
    order = file_complaint()
    client.force_login(consumer)
    page = client.get("/account/close/").content.decode()
    assert order.number in page and "withdraw_open" in page  # the order that will be withdrawn, and the box
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/account/close/", {"action": "send_code"}).status_code == 302
    code = code_in(sms)
    refused = client.post("/account/close/", {"action": "close", "code": code})  # the box not ticked
    assert refused.status_code == 409 and "撤回" in refused.content.decode()
    assert Complaint.objects.get(pk=order.pk).state != State.WITHDRAWN
    done = client.post("/account/close/", {"action": "close", "code": code, "withdraw_open": "1"})
    assert done.status_code == 200 and "账号已注销" in done.content.decode()
    assert Complaint.objects.get(pk=order.pk).state == State.WITHDRAWN
    assert User.objects.get(pk=consumer.pk).closed_at is not None
    assert client.get("/account/data/").status_code == 302  # signed out
    # the phone's sign-in says the account is closed
    traveller.shift(dt.timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/signin/", {"phone": consumer.phone})
    answer = client.post("/signin/code/", {"phone": consumer.phone, "code": code_in(sms)}, follow=True)
    assert "此账号已于" in answer.content.decode() and "注销，不能再登录" in answer.content.decode()
    assert "_auth_user_id" not in client.session


def test_staff_are_told_to_ask_their_organisation(client, staff):
    client.force_login(staff)
    r = client.get("/account/close/")
    assert r.status_code == 403 and "管理员" in r.content.decode()
    assert client.post("/account/close/", {"action": "close", "code": "123456"}).status_code == 403
    assert User.objects.get(pk=staff.pk).closed_at is None
