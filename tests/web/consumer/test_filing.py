"""The consumer's "我要和解" form, step by step over a server-side draft."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from hejie.businesses.models import Store
from hejie.businesses.names import initials_for
from hejie.complaints import drafts
from hejie.complaints.models import Complaint, ComplaintDraft, DraftFile, Evidence

pytestmark = pytest.mark.django_db

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


def png(color=(200, 30, 30), size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def jpeg(color=(30, 30, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (50, 40), color).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def shop(business, staff):
    """The business, with an account (``staff``), so orders against it are delivered."""
    business.name_initials = initials_for(business.name)
    business.save(update_fields=["name_initials"])
    return business


@pytest.fixture
def me(zh, consumer):
    zh.force_login(consumer)
    return zh


def html(response) -> str:
    return response.content.decode()


def found(page: str) -> list[str]:
    """The businesses a search page lists."""
    return re.findall(r'<p class="file-biz">([^<]*)</p>', page)


def fill_all(client, shop, *, order_ref="WX-1"):
    """Steps 1, 3 and 4 done (the business has no stores)."""
    assert client.post("/file/business/", {"action": "choose", "business_id": shop.pk}).status_code == 302
    assert client.post("/file/problem/", {"problem_type": "quality",
                                          "description": "热干面里吃出一根头发，店员不理睬。"}).status_code == 302
    assert client.post("/file/claim/", {"claim_type": "refund", "claim_amount": "38", "purchase_amount": "38",
                                        "purchase_date": "2026-03-14", "order_ref": order_ref}).status_code == 302


# --------------------------------------------------------------------------- who may file


def test_visitor_is_sent_to_sign_in_and_back(zh):
    for url in ("/file/", "/file/business/", "/file/review/", "/file/evidence/"):
        response = zh.get(url)
        assert response.status_code == 302 and response["Location"] == f"/signin/?next={url}"


def test_staff_council_and_partner_are_refused_with_a_page(zh, staff, council, make_user):
    for user in (staff, council):
        zh.force_login(user)
        for url in ("/file/", "/file/business/", "/file/review/"):
            response = zh.get(url)
            assert response.status_code == 403, (user.role, url)
            assert "只有消费者可以投诉" in html(response)
        response = zh.post("/file/business/", {"action": "choose", "business_id": 1})
        assert response.status_code == 403
    assert not ComplaintDraft.objects.exists()


def test_someone_else_s_draft_file_is_a_404(zh, me, consumer, shop, make_user):
    me.post("/file/evidence/", {"files": [SimpleUploadedFile("a.png", png())]})
    item = DraftFile.objects.get()
    assert me.get(f"/file/evidence/{item.pk}/").status_code == 200
    other = make_user("consumer")
    zh.force_login(other)
    assert zh.get(f"/file/evidence/{item.pk}/").status_code == 404
    assert zh.post(f"/file/evidence/{item.pk}/remove/").status_code == 404
    assert DraftFile.objects.filter(pk=item.pk).exists()
    zh.force_login(make_user("business", business=shop))
    assert zh.get(f"/file/evidence/{item.pk}/").status_code == 403


# --------------------------------------------------------------------------- step 1


def test_step_one_finds_by_pinyin_initials_and_shows_rating(me, shop, make_business):
    shop.star_rating, shop.credit_index = "4.25", "8.50"
    shop.save(update_fields=["star_rating", "credit_index"])
    make_business("汉口老通城豆皮馆")  # initials "cssh" (the fixture's)
    page = html(me.get("/file/business/?q=whrg"))
    assert 'aria-current="step"' in page and "第 1 步，共 5 步" in page
    assert found(page) == ["武汉热干面馆"]
    assert "★ 4.2" in page or "★ 4.3" in page
    assert "信用指数 8.5/10" in page and "投诉 0 件" in page
    assert found(html(me.get("/file/business/?q=热干"))) == ["武汉热干面馆"]


def test_step_one_browses_by_industry_and_place(me, shop, make_business):
    make_business("江汉路百货", region="420103", industry="retail")
    page = html(me.get("/file/business/?industry=retail&r1=420000&r2=420100"))
    assert found(page) == ["江汉路百货"]
    # the next level of the place picker is offered
    assert 'name="r3"' in page and "江岸区" in page
    page = html(me.get("/file/business/?industry=catering&r1=420000&r2=420100&r3=420102"))
    assert found(page) == ["武汉热干面馆"]


def test_step_one_bad_search_is_explained_beside_the_field(me):
    response = me.get("/file/business/?q=" + "长" * 101)
    assert response.status_code == 200
    page = html(response)
    assert 'id="q-error"' in page and "搜索词不能超过100个字" in page


def test_choosing_a_business_goes_to_its_stores_then_skips_when_there_are_none(me, shop, make_business):
    from hejie.regions.models import Region

    Store.objects.create(business=shop, name="江汉路店", region=Region.objects.get(code="420103"))
    response = me.post("/file/business/", {"action": "choose", "business_id": shop.pk})
    assert response["Location"] == "/file/store/"
    page = html(me.get("/file/store/"))
    assert "江汉路店" in page and "第 2 步，共 6 步" in page
    other = make_business("无门店小吃")
    response = me.post("/file/business/", {"action": "choose", "business_id": other.pk})
    assert response["Location"] == "/file/problem/"
    assert me.get("/file/store/")["Location"] == "/file/problem/"
    assert "第 2 步，共 5 步" in html(me.get("/file/problem/"))


def test_store_choice_is_checked(me, shop, make_business):
    from hejie.regions.models import Region

    store = Store.objects.create(business=shop, name="江汉路店", region=Region.objects.get(code="420103"))
    foreign = Store.objects.create(business=make_business(), name="别家店", region=Region.objects.get(code="420103"))
    me.post("/file/business/", {"action": "choose", "business_id": shop.pk})
    response = me.post("/file/store/", {"store_id": foreign.pk})
    assert response.status_code == 422 and 'id="store_id-error"' in html(response)
    assert me.post("/file/store/", {"store_id": store.pk})["Location"] == "/file/problem/"
    assert ComplaintDraft.objects.get().data["store_id"] == str(store.pk)


def test_business_not_on_the_platform_needs_a_name_and_a_place(me, consumer):
    response = me.post("/file/business/", {"action": "manual", "business_name": "", "r1": ""})
    assert response.status_code == 422
    page = html(response)
    assert 'id="business_name-error"' in page and "请填写商户名称" in page
    assert 'id="region_code-error"' in page and "请选择商户所在的地方" in page
    # only the province: the page offers the next level and keeps the name
    response = me.post("/file/business/", {"action": "place", "business_name": "街角水果店", "r1": "420000"})
    assert response.status_code == 302
    page = html(me.get(response["Location"]))
    assert 'value="街角水果店"' in page and 'name="r2"' in page and "武汉市" in page
    response = me.post("/file/business/", {"action": "manual", "business_name": "街角水果店", "r1": "420000",
                                           "r2": "420100", "r3": "420102"})
    assert response["Location"] == "/file/problem/"
    data = ComplaintDraft.objects.get(consumer=consumer).data
    assert data["business_name"] == "街角水果店" and data["region_code"] == "420102" and not data["business_id"]


# --------------------------------------------------------------------------- steps 3 and 4


def test_problem_step_errors_beside_each_field_and_keeps_the_text(me, shop):
    me.post("/file/business/", {"action": "choose", "business_id": shop.pk})
    response = me.post("/file/problem/", {"problem_type": "", "description": "太差了"})
    assert response.status_code == 422
    page = html(response)
    assert 'id="problem_type-error"' in page and "请选择问题类型" in page
    assert 'id="description-error"' in page and "至少10个字" in page
    assert ">太差了</textarea>" in page
    # the typed text is in the draft too: a reload shows it
    assert ">太差了</textarea>" in html(me.get("/file/problem/"))
    response = me.post("/file/problem/", {"problem_type": "nonsense",
                                          "description": "热干面里吃出一根头发，店员不理睬。"})
    assert response.status_code == 422 and "无效的选项" in html(response)
    # choices come from the model, shown in the reader's language
    assert "虚假宣传" in page and "预付卡" in page


def test_claim_step_checks_amounts_and_dates(me, shop, traveller):
    me.post("/file/business/", {"action": "choose", "business_id": shop.pk})
    response = me.post("/file/claim/", {"claim_type": "refund", "claim_amount": "", "purchase_amount": "abc",
                                        "purchase_date": "2026-03-16", "order_ref": "X" * 65})
    assert response.status_code == 422
    page = html(response)
    assert "退款或赔偿请写明金额" in page and 'id="claim_amount-error"' in page
    assert "金额应为数字" in page and 'id="purchase_amount-error"' in page
    assert "日期不能晚于今天" in page and 'id="purchase_date-error"' in page  # today is 2026-03-15 in Shanghai
    assert 'id="order_ref-error"' in page
    assert 'value="abc"' in page and 'value="2026-03-16"' in page
    response = me.post("/file/claim/", {"claim_type": "apology", "purchase_date": "2026-03-15"})
    assert response["Location"] == "/file/evidence/"


def test_english_labels_come_from_the_model_choices(en, consumer, shop):
    en.force_login(consumer)
    page = html(en.get("/file/problem/"))
    assert "False advertising" in page and "Prepaid card" in page and "Step 2 of 5" in page
    assert "Step 1 of 5" in html(en.get("/file/business/"))


# --------------------------------------------------------------------------- the draft


def test_draft_survives_a_reload_and_resumes_where_it_was_left(me, shop, consumer):
    me.post("/file/business/", {"action": "choose", "business_id": shop.pk})
    me.post("/file/problem/", {"problem_type": "price", "description": "标价18元，结账收了28元，不给解释。"})
    # a new visit (the connection dropped, the page was reloaded) resumes at the next step
    assert me.get("/file/")["Location"] == "/file/claim/"
    page = html(me.get("/file/problem/"))
    assert 'value="price" checked' in page and "标价18元" in page
    assert "已选择：<strong>武汉热干面馆</strong>" in html(me.get("/file/business/"))
    draft = ComplaintDraft.objects.get(consumer=consumer)
    assert draft.data["done"] == ["business", "problem"]


def test_review_lists_everything_with_edit_links_and_what_is_missing(me, shop):
    me.post("/file/business/", {"action": "choose", "business_id": shop.pk})
    page = html(me.get("/file/review/"))
    assert "武汉热干面馆" in page and "这一步还没有填写。" in page
    for url in ("/file/business/", "/file/problem/", "/file/claim/", "/file/evidence/"):
        assert f'href="{url}"' in page
    fill_all(me, shop)
    page = html(me.get("/file/review/"))
    assert "这一步还没有填写。" not in page and "热干面里吃出一根头发" in page and "¥38" in page
    assert "WX-1" in page and "2026-03-14" in page


# --------------------------------------------------------------------------- evidence


def test_upload_several_files_at_once_and_remove_one(me, consumer):
    response = me.post("/file/evidence/", {"files": [SimpleUploadedFile("小票.png", png()),
                                                     SimpleUploadedFile("商品.jpg", jpeg()),
                                                     SimpleUploadedFile("发票.pdf", PDF)]})
    assert response.status_code == 302 and response["Location"] == "/file/evidence/"
    files = list(DraftFile.objects.filter(draft__consumer=consumer))
    assert [f.kind for f in files] == ["png", "jpeg", "pdf"]
    page = html(me.get("/file/evidence/"))
    assert "小票.png" in page and "商品.jpg" in page and "发票.pdf" in page
    assert 'accept="image/*,application/pdf"' in page and "multiple" in page
    served = me.get(f"/file/evidence/{files[0].pk}/")
    assert served["Content-Type"] == "image/png" and served["X-Content-Type-Options"] == "nosniff"
    me.post(f"/file/evidence/{files[1].pk}/remove/")
    assert list(DraftFile.objects.values_list("original_name", flat=True)) == ["小票.png", "发票.pdf"]


def test_a_refused_upload_says_which_file_and_why_and_nothing_else_is_lost(me, shop, settings):
    fill_all(me, shop)
    settings.HEJIE_EVIDENCE_MAX_BYTES = 1024 * 1024
    big = png() + b"\0" * (1024 * 1024)
    response = me.post("/file/evidence/", {"files": [SimpleUploadedFile("ok.png", png()),
                                                     SimpleUploadedFile("fake.jpg", b"just some text, not a photo"),
                                                     SimpleUploadedFile("huge.png", big)],
                                           "action": "next"})
    assert response.status_code == 415
    page = html(response)
    assert "<strong>fake.jpg</strong>：只能上传图片（JPEG、PNG、GIF、WebP）或PDF" in page
    assert "<strong>huge.png</strong>：文件超过1MB" in page
    assert list(DraftFile.objects.values_list("original_name", flat=True)) == ["ok.png"]
    draft = ComplaintDraft.objects.get()
    assert draft.data["order_ref"] == "WX-1" and "evidence" not in draft.data["done"]


def test_a_file_whose_name_lies_about_its_type_is_refused(me):
    response = me.post("/file/evidence/", {"files": [SimpleUploadedFile("photo.pdf", png())]})
    assert response.status_code == 415 and "<strong>photo.pdf</strong>" in html(response)
    assert not DraftFile.objects.exists()


def test_too_many_files(me, settings):
    settings.HEJIE_EVIDENCE_MAX_FILES = 2
    response = me.post("/file/evidence/", {"files": [SimpleUploadedFile(f"p{i}.png", png((i * 40, 0, 0)))
                                                     for i in range(3)]})
    assert response.status_code == 409
    assert "<strong>p2.png</strong>：每件投诉最多2个附件" in html(response)
    assert DraftFile.objects.count() == 2


def test_upload_by_script_answers_json(me):
    response = me.post("/file/evidence/", {"files": [SimpleUploadedFile("a.png", png())]},
                       headers={"X-Requested-With": "XMLHttpRequest"})
    assert response.status_code == 201
    body = response.json()
    assert body["errors"] == [] and body["files"][0]["name"] == "a.png"
    assert body["files"][0]["url"] == f"/file/evidence/{body['files'][0]['id']}/"
    response = me.post("/file/evidence/", {"files": [SimpleUploadedFile("b.gif", b"GIF89a broken")]},
                       headers={"X-Requested-With": "XMLHttpRequest"})
    assert response.status_code == 415
    assert response.json()["errors"][0]["name"] == "b.gif"
    removed = me.post(body["files"][0]["remove_url"], headers={"X-Requested-With": "XMLHttpRequest"})
    assert removed.json() == {"removed": body["files"][0]["id"]} and not DraftFile.objects.exists()


# --------------------------------------------------------------------------- submit


def test_submit_files_one_complaint_with_its_evidence_and_a_resent_post_makes_no_second(
        me, shop, consumer, staff, django_capture_on_commit_callbacks):
    fill_all(me, shop)
    me.post("/file/evidence/", {"files": [SimpleUploadedFile("小票.png", png()), SimpleUploadedFile("发票.pdf", PDF)],
                                "action": "next"})
    draft = ComplaintDraft.objects.get()
    paths = [f.file.name for f in draft.files.all()]
    token = draft.token
    with django_capture_on_commit_callbacks(execute=True):
        response = me.post("/file/review/", {"token": token})
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/file/done/{complaint.pk}/"
    assert complaint.consumer == consumer and complaint.business == shop and complaint.state == "delivered"
    assert complaint.order_ref == "WX-1" and str(complaint.claim_amount) == "38.00"
    assert sorted(e.original_name for e in complaint.evidence.all()) == ["发票.pdf", "小票.png"]
    assert not ComplaintDraft.objects.exists() and not DraftFile.objects.exists()
    storage = DraftFile.file.field.storage
    assert not any(storage.exists(p) for p in paths)  # the draft's copies are gone
    assert all(storage.exists(e.file.name) for e in Evidence.objects.all())
    # the same POST again (a double tap, a resend) shows the same order
    again = me.post("/file/review/", {"token": token})
    assert again["Location"] == f"/file/done/{complaint.pk}/"
    assert Complaint.objects.count() == 1 and Evidence.objects.count() == 2


def test_done_page_says_what_happens_next_from_the_policy(me, shop, traveller):
    from hejie.complaints.policy import get_policy

    policy = get_policy()
    policy.first_response_hours, policy.settle_days = 48, 10
    policy.save()
    fill_all(me, shop)
    response = me.post("/file/review/", {"token": ComplaintDraft.objects.get().token}, follow=True)
    page = html(response)
    complaint = Complaint.objects.get()
    assert complaint.number in page
    assert "商家须在 48 小时内答复您，也就是 2026-03-17 10:00 之前" in page
    assert "双方要在 10 天内（2026-03-25 10:00 之前）达成和解" in page
    assert "消委会会催办" in page
    assert f'href="/complaints/{complaint.pk}/"' in page and 'href="/complaints/"' in page


def test_business_not_on_the_platform_goes_to_the_council(me, consumer):
    me.post("/file/business/", {"action": "manual", "business_name": "街角水果店", "r1": "420000", "r2": "420100",
                                "r3": "420102"})
    me.post("/file/problem/", {"problem_type": "quality", "description": "买的西瓜是坏的，老板不肯换。"})
    me.post("/file/claim/", {"claim_type": "exchange"})
    assert me.get("/file/")["Location"] == "/file/evidence/"
    page = html(me.get("/file/review/"))
    assert "街角水果店" in page and "湖北省武汉市江岸区" in page and "先由消委会审核" in page
    response = me.post("/file/review/", {"token": ComplaintDraft.objects.get().token}, follow=True)
    complaint = Complaint.objects.get()
    assert complaint.state == "pending_review" and complaint.business is None
    assert complaint.business_name_given == "街角水果店" and complaint.region_id == "420102"
    assert "先交给当地消委会审核" in html(response)


def test_a_refused_filing_is_explained_on_the_review_page_and_the_draft_stays(me, shop, file_complaint):
    existing = file_complaint(order_ref="WX-1")  # the same matter, still open
    fill_all(me, shop, order_ref="WX-1")
    token = ComplaintDraft.objects.get().token
    response = me.post("/file/review/", {"token": token})
    assert response.status_code == 409
    page = html(response)
    assert "投诉没有提交" in page and existing.number in page and "您填写的内容都还在" in page
    assert Complaint.objects.count() == 1
    assert ComplaintDraft.objects.get().token == token


def test_rate_limit_is_explained_and_the_draft_stays(me, shop, consumer, make_business, monkeypatch):
    from hejie.complaints.services import intake

    monkeypatch.setattr(intake, "FILING_LIMIT", 1)
    intake.complaint_submit(consumer=consumer, business_id=make_business().pk, problem_type="price",
                            description="另一件投诉，价格不对。", claim_type="apology")
    fill_all(me, shop)
    response = me.post("/file/review/", {"token": ComplaintDraft.objects.get().token})
    assert response.status_code == 429 and "投诉提交过于频繁" in html(response)
    assert ComplaintDraft.objects.exists() and Complaint.objects.count() == 1


def test_an_incomplete_draft_is_not_filed(me, shop):
    me.post("/file/business/", {"action": "choose", "business_id": shop.pk})
    response = me.post("/file/review/", {"token": ComplaintDraft.objects.get().token})
    assert response.status_code == 422 and "还有内容没有填好" in html(response)
    assert not Complaint.objects.exists()


def test_a_stale_review_page_is_not_filed(me, shop):
    fill_all(me, shop)
    response = me.post("/file/review/", {"token": "0" * 32})
    assert response.status_code == 409 and "投诉内容已更新" in html(response)
    assert not Complaint.objects.exists()


def test_discard_throws_the_draft_away(me, consumer):
    me.post("/file/evidence/", {"files": [SimpleUploadedFile("a.png", png())]})
    path = DraftFile.objects.get().file.name
    assert me.post("/file/discard/")["Location"] == "/file/business/"
    assert not ComplaintDraft.objects.exists()
    assert drafts.draft_get(consumer).pk is None
    assert path  # storage cleanup is covered in tests/complaints/test_drafts.py


def test_done_page_of_someone_else_s_complaint_is_a_404(zh, delivered, make_user):
    zh.force_login(make_user("consumer"))
    assert zh.get(f"/file/done/{delivered.pk}/").status_code == 404


def test_lists_show_small_thumbnails_not_the_whole_photo(me):
    me.post("/file/evidence/", {"files": [SimpleUploadedFile("big.png", png(size=(1200, 900))),
                                          SimpleUploadedFile("a.pdf", PDF)]})
    photo, pdf = DraftFile.objects.all()
    assert f'src="/file/evidence/{photo.pk}/?thumb=1"' in html(me.get("/file/evidence/"))
    small = me.get(f"/file/evidence/{photo.pk}/?thumb=1")
    assert small["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(small.content)) as img:
        assert max(img.size) <= 160
    assert me.get(f"/file/evidence/{pdf.pk}/?thumb=1")["Content-Type"] == "application/pdf"


def test_search_results_cost_the_same_queries_for_one_or_many(me, shop, make_business):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert len(found(html(me.get("/file/business/?industry=catering&r1=420000")))) == 1
    for i in range(6):
        make_business(f"热干面分店{i}")
    with CaptureQueriesContext(connection) as seven:
        assert len(found(html(me.get("/file/business/?industry=catering&r1=420000")))) == 7
    assert len(seven.captured_queries) == len(one.captured_queries)


def test_done_page_says_an_unclaimed_business_is_invited_and_its_clock_waits(me, make_business, traveller):
    unclaimed = make_business("江城小龙虾", contact_phone="13912345678")
    unclaimed.name_initials = initials_for(unclaimed.name)
    unclaimed.save(update_fields=["name_initials"])
    fill_all(me, unclaimed)
    response = me.post("/file/review/", {"token": ComplaintDraft.objects.get().token}, follow=True)
    page = html(response)
    complaint = Complaint.objects.get()
    assert complaint.state == "pending_review" and complaint.review_reason == "awaiting_claim"
    assert "还没有开通账号。我们已经通知它认领账号" in page
    assert "24 小时的答复时限从那时开始计算" in page and "之前。" not in page  # no deadline promised yet


def test_a_business_not_on_the_platform_named_with_its_mobile_is_invited(
        me, consumer, sms, django_capture_on_commit_callbacks):
    refused = me.post("/file/business/", {"action": "manual", "business_name": "巷口烧烤", "r1": "420000",
                                          "r2": "420100", "r3": "420106", "business_phone": "027-88886666",
                                          "business_credit_code": "123"})
    page = html(refused)
    assert refused.status_code == 422
    assert 'id="business_phone-error"' in page and "固定电话收不到" in page
    assert 'id="business_credit_code-error"' in page and 'value="027-88886666"' in page  # kept as typed
    assert me.post("/file/business/", {"action": "manual", "business_name": "巷口烧烤", "r1": "420000",
                                       "r2": "420100", "r3": "420106", "business_phone": "139 7777 6666"}
                   )["Location"] == "/file/problem/"
    me.post("/file/problem/", {"problem_type": "quality", "description": "烤串没熟，吃完肚子疼，老板不认。"})
    me.post("/file/claim/", {"claim_type": "apology"})
    page = html(me.get("/file/review/"))
    assert "139 7777 6666" in page and "短信邀请它认领账号" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = me.post("/file/review/", {"token": ComplaintDraft.objects.get().token}, follow=True)
    complaint = Complaint.objects.get()
    assert complaint.state == "pending_review" and complaint.review_reason == "awaiting_claim"
    assert complaint.business.status == "invited" and complaint.business.contact_phone == "13977776666"
    assert "还不在平台上。我们已经按您提供的联系方式邀请它认领账号" in html(response)
    assert [m.to for m in sms if m.kind == "claim"] == ["13977776666"]
