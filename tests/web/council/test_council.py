"""The council console: who may enter, scoping from the side refused, the
dashboard's links, the order list and its queues, urging (one and bulk),
review, mediation, the lists and the appeal, businesses, and the exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hejie.businesses.models import Business
from hejie.complaints import services
from hejie.complaints.models import Urge
from hejie.ratings.models import BlacklistAppeal, BlacklistEntry, ListDecision, RedListEntry
from tests.oversight.test_dashboard import order

pytestmark = pytest.mark.django_db

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00"
       b"\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def world(traveller, make_business, make_user, council):
    """At T0 (2026-03-15 10:00 Shanghai): orders of a Wuhan business and of a Yichang one."""
    wuhan = make_business("江岸热干面", region="420102")
    yichang = make_business("宜昌商店", region="420502")
    wuhan_staff = make_user("business", business=wuhan)
    yichang_staff = make_user("business", business=yichang)
    consumer = make_user("consumer", phone="13912345678", display_name="张三丰")
    now = dt.datetime(2026, 3, 15, 2, 0, tzinfo=dt.UTC)

    def file(biz, **kw):
        return services.complaint_submit(consumer=consumer, business_id=biz.pk, problem_type="quality",
                                         description=kw.pop("description", "买到的东西有质量问题，要求退款。"),
                                         claim_type="refund", claim_amount="38", **kw)

    overdue = order(wuhan, consumer, created=now - dt.timedelta(hours=30))  # no answer past 24 h
    fresh = file(wuhan, description="电话 139-1234-5678 联系我，邮箱 zhang@example.com")
    settled = order(wuhan, consumer, created=now - dt.timedelta(days=3), settled_after=dt.timedelta(hours=3))
    failed = order(wuhan, consumer, created=now - dt.timedelta(days=20), failed=True)
    queued = services.complaint_submit(consumer=consumer, business_name="不在平台的小店", region_code="420102",
                                       problem_type="quality", description="这家店不在平台上，投诉无门。",
                                       claim_type="refund", claim_amount="10")
    elsewhere = file(yichang)
    return {"wuhan": wuhan, "yichang": yichang, "wuhan_staff": wuhan_staff, "yichang_staff": yichang_staff,
            "consumer": consumer, "overdue": overdue, "fresh": fresh, "settled": settled, "failed": failed,
            "queued": queued, "elsewhere": elsewhere, "council": council, "now": now}


@pytest.fixture
def member(client, world):
    client.force_login(world["council"])
    return client


def html(response) -> str:
    return response.content.decode()


# ------------------------------------------------------------------ who may enter

CONSOLE = ["/council/", "/council/orders/", "/council/lists/", "/council/businesses/",
           "/council/orders/export.csv", "/council/orders/export.xlsx"]


@pytest.mark.parametrize("url", CONSOLE)
def test_business_staff_and_consumers_cannot_open_the_console(client, world, url):
    for user in (world["wuhan_staff"], world["consumer"]):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(world["wuhan_staff"])
    assert client.get(f"/council/orders/{world['overdue'].pk}/").status_code == 404
    assert client.post(f"/council/orders/{world['overdue'].pk}/urge/").status_code == 404
    assert not Urge.objects.exists()


def test_a_visitor_is_sent_to_the_staff_sign_in(client, world):
    response = client.get("/council/orders/?queue=urge")
    assert response.status_code == 302
    assert response["Location"].startswith("/signin/staff/?next=/council/orders/")


def test_a_wuhan_member_cannot_see_or_act_on_a_yichang_order(member, world):
    elsewhere = world["elsewhere"]
    assert member.get(f"/council/orders/{elsewhere.pk}/").status_code == 404
    for action, data in (("urge", {"urge_note": "快"}), ("mediate", {}), ("message", {"message_body": "你好"}),
                         ("reject", {"reject_reason": "不受理"}),
                         ("outcome", {"outcome": "settled", "outcome_terms": "x"})):
        assert member.post(f"/council/orders/{elsewhere.pk}/{action}/", data).status_code == 404, action
    assert not Urge.objects.filter(complaint=elsewhere).exists()
    assert member.get("/council/?region=420500").status_code == 404
    assert member.get("/council/orders/?region=420500").status_code == 404
    assert member.get("/council/orders/export.csv?region=420500").status_code == 404
    assert member.get("/council/orders/export.xlsx?region=420500").status_code == 404
    listing = html(member.get("/council/orders/"))
    assert world["overdue"].number in listing and elsewhere.number not in listing
    exported = b"".join(member.get("/council/orders/export.csv").streaming_content).decode("utf-8-sig")
    assert world["overdue"].number in exported and elsewhere.number not in exported
    assert member.get(f"/council/businesses/{world['yichang'].pk}/").status_code == 404
    assert member.post(f"/council/businesses/{world['yichang'].pk}/suspend/", {"reason": "查"}).status_code == 404


# ------------------------------------------------------------------ the dashboard


def test_the_dashboard_shows_figures_that_link_to_their_orders(member, world):
    page = html(member.get("/council/?days=30"))
    assert "监督台" in page and "湖北省武汉市" in page
    assert "<svg" in page and "<title" in page and "数据表" in page
    link = re.search(r'href="(/council/orders/\?[^"]*figure=failed[^"]*)"', page).group(1).replace("&amp;", "&")
    failed_list = html(member.get(link))
    assert world["failed"].number in failed_list and world["settled"].number not in failed_list
    overdue_link = re.search(r'href="(/council/orders/\?overdue=awaiting_first_response)"', page).group(1)
    overdue_list = html(member.get(overdue_link))
    assert world["overdue"].number in overdue_list and world["fresh"].number not in overdue_list


def test_the_dashboard_refuses_a_bad_date_beside_the_field(member, world):
    response = member.get("/council/?from=2026-13-01")
    assert response.status_code == 422
    assert 'id="from-error"' in html(response)
    response = member.get("/council/?from=2026-03-10&to=2026-03-01")
    assert response.status_code == 422 and 'id="to-error"' in html(response)


def test_a_member_can_pick_a_sub_region(member, world):
    page = html(member.get("/council/?region=420102&days=7"))
    assert "湖北省武汉市江岸区" in page


# ------------------------------------------------------------------ the list and its queues


def test_queues_and_filters(member, world):
    urge = html(member.get("/council/orders/?queue=urge"))
    assert world["overdue"].number in urge and world["settled"].number not in urge
    review = html(member.get("/council/orders/?queue=review"))
    assert world["queued"].number in review and world["overdue"].number not in review
    search = html(member.get(f"/council/orders/?q={world['settled'].number}"))
    assert world["settled"].number in search and world["overdue"].number not in search
    assert member.get("/council/orders/export.csv?from=2026-02-30").status_code == 422
    bad = member.get("/council/orders/?state=nonsense&from=x")
    assert bad.status_code == 422
    assert 'id="state-error"' in html(bad) and 'id="from-error"' in html(bad)


def test_urge_one_order_and_see_it_with_its_acknowledgement(member, world, traveller):
    c = world["overdue"]
    response = member.post(f"/council/orders/{c.pk}/urge/", {"urge_note": "请今天内答复消费者"})
    assert response.status_code == 302
    urge = Urge.objects.get(complaint=c, kind="manual")
    assert urge.note == "请今天内答复消费者" and urge.created_by == world["council"]
    page = html(member.get(f"/council/orders/{c.pk}/"))
    assert "请今天内答复消费者" in page and "商家尚未确认" in page
    services.urge_acknowledge(actor=world["wuhan_staff"], urge_id=urge.pk)
    assert "商家已于" in html(member.get(f"/council/orders/{c.pk}/"))


def test_automatic_urges_are_shown_beside_manual_ones(member, world, traveller):
    c = world["fresh"]
    traveller.shift(dt.timedelta(hours=25))
    services.complaint_process_due(complaint=c.pk)
    assert Urge.objects.filter(complaint=c, kind="auto").exists()
    page = html(member.get(f"/council/orders/{c.pk}/"))
    assert "平台自动催办" in page


def test_bulk_urge_says_how_many_were_urged_and_which_were_refused(member, world):
    ids = [world["overdue"].pk, world["fresh"].pk, world["settled"].pk, world["elsewhere"].pk]
    response = member.post("/council/orders/urge/",
                           {"ids": ids, "note": "统一催办", "next": "/council/orders/?queue=urge"}, follow=True)
    assert response.redirect_chain[-1][0] == "/council/orders/?queue=urge"
    page = html(response)
    assert "已催办 2 件" in page
    assert f"{world['settled'].number} 未催办" in page
    assert f"#{world['elsewhere'].pk} 未催办" in page and world["elsewhere"].number not in page
    assert set(Urge.objects.filter(kind="manual").values_list("complaint_id", flat=True)) == {
        world["overdue"].pk, world["fresh"].pk}
    assert member.post("/council/orders/urge/", {"note": "x"}, follow=True).status_code == 200
    assert Urge.objects.filter(kind="manual").count() == 2


def test_forward_a_queued_order_to_a_business_found_by_name(member, world, make_business, make_user):
    target = make_business("武汉新开小店", region="420103")
    make_user("business", business=target)
    c = world["queued"]
    page = html(member.get(f"/council/orders/{c.pk}/?business_q=新开"))
    assert "武汉新开小店" in page
    missing = member.post(f"/council/orders/{c.pk}/forward/", {"business_q": "新开"})
    assert missing.status_code == 422 and 'id="forward_business-error"' in html(missing)
    member.post(f"/council/orders/{c.pk}/forward/", {"forward_business": target.pk, "forward_note": "已入驻"})
    c.refresh_from_db()
    assert c.state == "delivered" and c.business_id == target.pk


def test_reject_needs_a_reason(member, world):
    c = world["queued"]
    response = member.post(f"/council/orders/{c.pk}/reject/", {"reject_reason": ""})
    assert response.status_code == 422 and 'id="reject_reason-error"' in html(response)
    member.post(f"/council/orders/{c.pk}/reject/", {"reject_reason": "不属于消费纠纷"})
    c.refresh_from_db()
    assert c.state == "rejected" and c.closing_reason == "不属于消费纠纷"


def test_mediation_from_taking_up_to_a_settled_outcome(member, world):
    c = world["failed"]
    page = html(member.get(f"/council/orders/{c.pk}/"))
    assert "转入调解" in page and "记录调解结果" not in page
    member.post(f"/council/orders/{c.pk}/mediate/", {"mediate_reason": "消委主动调解"})
    c.refresh_from_db()
    assert c.state == "mediating"
    member.post(f"/council/orders/{c.pk}/message/", {"message_body": "请双方明天上午十点在线沟通。"})
    assert c.messages.get().side == "council"
    page = html(member.get(f"/council/orders/{c.pk}/"))
    assert "请双方明天上午十点在线沟通。" in page and "记录调解结果" in page
    bad = member.post(f"/council/orders/{c.pk}/outcome/", {"outcome": "settled", "outcome_terms": ""})
    assert bad.status_code == 422 and 'id="outcome_terms-error"' in html(bad)
    member.post(f"/council/orders/{c.pk}/outcome/", {"outcome": "settled", "outcome_terms": "退款38元",
                                                       "outcome_amount": "38"})
    c.refresh_from_db()
    mediation = c.mediations.get()
    assert c.state == "mediated" and mediation.terms == "退款38元" and str(mediation.amount) == "38.00"


def test_a_failed_mediation_leaves_the_routes(member, world):
    c = world["failed"]
    member.post(f"/council/orders/{c.pk}/mediate/", {})
    member.post(f"/council/orders/{c.pk}/outcome/", {"outcome": "failed", "outcome_note": "商家拒绝调解"})
    c.refresh_from_db()
    assert c.state == "mediation_failed"
    assert "12315" in html(member.get(f"/council/orders/{c.pk}/"))


def test_the_order_page_masks_the_consumer_unless_allowed(member, world):
    c = world["fresh"]
    page = html(member.get(f"/council/orders/{c.pk}/"))
    assert "139****5678" in page and "13912345678" not in page
    assert "张**" in page and "张三丰" not in page
    assert "139-1234-5678" not in page and "z***@example.com" in page
    world["council"].sees_personal_data = True
    world["council"].save(update_fields=["sees_personal_data"])
    page = html(member.get(f"/council/orders/{c.pk}/"))
    assert "13912345678" in page and "张三丰" in page and "139-1234-5678" in page


# ------------------------------------------------------------------ exports


def test_csv_export_has_the_view_and_masks_personal_data(member, world):
    response = member.get("/council/orders/export.csv?state=delivered")
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    numbers = {r[0] for r in rows[1:]}
    assert world["overdue"].number in numbers and world["fresh"].number in numbers
    assert world["settled"].number not in numbers
    fresh = next(r for r in rows if r[0] == world["fresh"].number)
    assert fresh[17] == "139****5678" and fresh[18] == "张**"
    assert "139****5678" in fresh[19] and "139-1234-5678" not in fresh[19] and "zhang@" not in fresh[19]


def test_xlsx_export_opens_in_openpyxl_with_masking(member, world):
    from openpyxl import load_workbook

    response = member.get("/council/orders/export.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    data = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(data)
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "编号" and rows[0][17] == "消费者手机号"
    numbers = {r[0] for r in rows[1:]}
    assert numbers == {world[k].number for k in ("overdue", "fresh", "settled", "failed", "queued")}
    fresh = next(r for r in rows if r[0] == world["fresh"].number)
    assert fresh[17] == "139****5678" and fresh[18] == "张**"


def test_an_allowed_member_exports_personal_data_in_full(member, world):
    world["council"].sees_personal_data = True
    world["council"].save(update_fields=["sees_personal_data"])
    rows = list(csv.reader(io.StringIO(b"".join(member.get("/council/orders/export.csv").streaming_content)
                                       .decode("utf-8-sig"))))
    fresh = next(r for r in rows if r[0] == world["fresh"].number)
    assert fresh[17] == "13912345678" and fresh[18] == "张三丰" and "139-1234-5678" in fresh[19]


# ------------------------------------------------------------------ lists and the appeal


@pytest.fixture
def candidate(world):
    entry = BlacklistEntry.objects.create(business=world["wuhan"], rule="failed_cases",
                                          reason="90天内3次和解失败 (3 failed cases in 90 days)")
    entry.cases.add(world["failed"])
    return entry


def test_publish_a_candidate_with_a_reason(member, world, candidate):
    page = html(member.get("/council/lists/"))
    assert "江岸热干面" in page and world["failed"].number in page
    refused = member.post(f"/council/lists/black/{candidate.pk}/publish/", {"reason": ""})
    assert refused.status_code == 422 and f'id="publish-{candidate.pk}-error"' in html(refused)
    member.post(f"/council/lists/black/{candidate.pk}/publish/", {"reason": "多次拒不处理消费者投诉"})
    candidate.refresh_from_db()
    assert candidate.status == "published" and candidate.public_reason == "多次拒不处理消费者投诉"
    decision = ListDecision.objects.get(blacklist_entry=candidate)
    assert decision.actor == world["council"] and decision.action == "publish"
    assert "多次拒不处理消费者投诉" in html(member.get("/council/lists/"))


def test_dismiss_and_remove(member, world, candidate):
    member.post(f"/council/lists/black/{candidate.pk}/dismiss/", {"reason": "已核实为误判"})
    candidate.refresh_from_db()
    assert candidate.status == "dismissed"
    other = BlacklistEntry.objects.create(business=world["wuhan"], rule="failed_cases", reason="x",
                                          status="published", public_reason="r")
    member.post(f"/council/lists/black/{other.pk}/remove/", {"reason": "已整改"})
    other.refresh_from_db()
    assert other.status == "removed"


def test_a_yichang_entry_is_not_a_wuhan_decision(member, world):
    entry = BlacklistEntry.objects.create(business=world["yichang"], rule="failed_cases", reason="x")
    assert member.post(f"/council/lists/black/{entry.pk}/publish/", {"reason": "理由"}).status_code == 404
    entry.refresh_from_db()
    assert entry.status == "candidate"
    assert "宜昌商店" not in html(member.get("/council/lists/"))


def test_the_business_appeals_and_the_council_decides(client, world, candidate):
    from hejie.ratings import lists

    lists.blacklist_publish(actor=world["council"], entry=candidate, reason="多次拒不处理")
    client.force_login(world["wuhan_staff"])
    page = html(client.get("/appeals/"))
    assert "贵店已被列入黑榜" in page and "多次拒不处理" in page
    empty = client.post("/appeals/", {"entry_id": candidate.pk, "text": ""})
    assert empty.status_code == 422 and 'id="text-error"' in html(empty)
    client.post("/appeals/", {"entry_id": candidate.pk, "text": "我们已全部退款并整改。",
                              "files": [SimpleUploadedFile("收据.png", PNG, content_type="image/png")]})
    appeal = BlacklistAppeal.objects.get()
    file = appeal.files.get()
    assert client.get(f"/files/appeals/{file.appeal_id}/files/{file.pk}").status_code == 200
    client.force_login(world["yichang_staff"])
    assert client.get(f"/files/appeals/{file.appeal_id}/files/{file.pk}").status_code == 404
    assert "贵店没有被列入黑榜" in html(client.get("/appeals/"))
    client.force_login(world["council"])
    assert client.get(f"/files/appeals/{file.appeal_id}/files/{file.pk}").status_code == 200
    page = html(client.get("/council/lists/"))
    assert "我们已全部退款并整改。" in page and "收据.png" in page
    client.post(f"/council/lists/appeals/{appeal.pk}/decide/", {"verdict": "upheld", "reason": "整改到位"})
    appeal.refresh_from_db()
    candidate.refresh_from_db()
    assert appeal.status == "upheld" and appeal.decided_by == world["council"] and candidate.status == "removed"
    client.force_login(world["wuhan_staff"])
    assert "整改到位" in html(client.get("/appeals/"))


def test_an_appeal_file_is_hidden_from_another_region(client, world, candidate, make_user):
    from hejie.ratings import lists

    lists.blacklist_publish(actor=world["council"], entry=candidate, reason="多次拒不处理")
    appeal = lists.blacklist_appeal(actor=world["wuhan_staff"], entry=candidate, text="申诉", files=[("a.png", PNG)])
    client.force_login(make_user("council", region="420500"))
    assert client.get(f"/files/appeals/{appeal.pk}/files/{appeal.files.get().pk}").status_code == 404
    assert client.post(f"/council/lists/appeals/{appeal.pk}/decide/",
                       {"verdict": "upheld", "reason": "x"}).status_code == 404


def test_confirm_a_red_list_candidate(member, world, make_business):
    shop = make_business("好评小馆", region="420102")
    c = world["consumer"]
    start = world["now"] - dt.timedelta(days=60)
    for i in range(10):
        order(shop, c, created=start + dt.timedelta(days=i), settled_after=dt.timedelta(hours=2))
    Business.objects.filter(pk=shop.pk).update(credit_index="9.20", star_rating="4.80", rated_cases=10)
    assert "好评小馆" in html(member.get("/council/lists/"))
    member.post(f"/council/lists/red/{shop.pk}/confirm/", {"reason": "处理及时，消费者满意"})
    entry = RedListEntry.objects.get(business=shop)
    assert entry.status == "confirmed" and entry.decided_by == world["council"]
    assert "处理及时，消费者满意" in html(member.get("/council/lists/"))


# ------------------------------------------------------------------ businesses


def test_applications_suspension_and_the_record(member, world, make_business):
    applied = make_business("申请中的店", region="420102", status="applied")
    page = html(member.get("/council/businesses/"))
    assert "申请中的店" in page
    refused = member.post(f"/council/businesses/{applied.pk}/refuse/", {"reason": ""})
    assert refused.status_code == 422 and f'id="refuse-{applied.pk}-error"' in html(refused)
    member.post(f"/council/businesses/{applied.pk}/approve/")
    applied.refresh_from_db()
    assert applied.status == "active"
    shop = world["wuhan"]
    record = html(member.get(f"/council/businesses/{shop.pk}/"))
    assert "信用指数" in record and "江岸热干面" in record
    member.post(f"/council/businesses/{shop.pk}/suspend/", {"reason": "经营异常"})
    shop.refresh_from_db()
    assert shop.status == "suspended"
    member.post(f"/council/businesses/{shop.pk}/reactivate/")
    shop.refresh_from_db()
    assert shop.status == "active"
    assert "江岸热干面" in html(member.get("/council/businesses/?q=江岸"))


def test_the_console_in_english(member, world):
    member.cookies["django_language"] = "en"
    assert reverse("web:council") == "/council/"
    page = html(member.get("/council/"))
    assert "Overdue now" in page and "90th percentile time to settle" in page
    assert "Orders and queues" in html(member.get("/council/orders/"))


def test_the_pages_query_count_does_not_grow_with_orders(member, world, make_business):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert member.get(url).status_code == 200
        return len(ctx.captured_queries)

    urls = ["/council/", "/council/orders/", "/council/orders/?queue=urge"]
    before = [count(u) for u in urls]
    for code in ("420104", "420105", "420106"):
        biz = make_business(region=code)
        for k in range(4):
            # filed 4 days ago and more: the same surge flags (none) as before, so the count compares like with like
            order(biz, world["consumer"], created=world["now"] - dt.timedelta(days=k + 4),
                  settled_after=dt.timedelta(hours=k + 1))
            order(biz, world["consumer"], created=world["now"] - dt.timedelta(days=4, hours=k))
    assert [count(u) for u in urls] == before


def test_an_operator_sees_the_whole_country(client, world, make_user):
    client.force_login(make_user("operator"))
    page = html(client.get("/council/"))
    assert "全国" in page and "湖北省" in page
    listing = html(client.get("/council/orders/"))
    assert world["elsewhere"].number in listing and world["overdue"].number in listing
