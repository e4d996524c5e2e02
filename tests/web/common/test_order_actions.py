"""The order page's actions, from each side: each small form POSTs to its own
URL, calls the one service, redirects back with a confirmation (PRG); a
refusal re-renders the page with the message beside the field, the typed
text kept and the error's status; an order that is not yours is a 404."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from hejie.complaints import services
from hejie.complaints.models import Complaint, Message, Proposal, Urge

pytestmark = pytest.mark.django_db


def url(order, action=""):
    return f"/complaints/{order.pk}/" + (f"{action}/" if action else "")


def png(color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, "PNG")
    return out.getvalue()


def published_clause(make_user, industry="catering", number="3.2", text="出现异物的菜品，全额退款。"):
    from hejie.standards import services as std

    operator = make_user("operator")
    standard = std.standard_create(actor=operator, industry=industry, title=f"{industry}服务规范")
    std.version_draft(actor=operator, standard=standard)
    std.clause_set(actor=operator, standard=standard, version=1, number=number, text=text)
    std.version_publish(actor=operator, standard=standard, version=1)
    return standard.versions.get().clauses.get()


@pytest.fixture
def offer(delivered, staff):
    return services.proposal_make(actor=staff, complaint=delivered, terms="退一半", amount="19.00")


def page(client, order) -> str:
    response = client.get(url(order))
    assert response.status_code == 200
    return response.content.decode()


def done(response, order) -> str:
    """Post/Redirect/Get: a redirect to the order page, which then shows the confirmation."""
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == url(order)
    return response.client.get(response["Location"]).content.decode()


# --------------------------------------------------------------------------- the consumer


def test_consumer_replies_and_sees_the_confirmation(zh, consumer, delivered):
    zh.force_login(consumer)
    html = done(zh.post(url(delivered, "reply"), {"reply_body": "请尽快处理，谢谢。"}), delivered)
    assert "留言已发送。" in html and "请尽快处理，谢谢。" in html
    assert Message.objects.get(complaint=delivered).side == "consumer"
    assert "留言已发送。" not in page(zh, delivered)  # said once


def test_a_picture_in_the_conversation_is_a_thumbnail_linking_to_the_file(zh, consumer, staff, delivered):
    zh.force_login(consumer)
    upload = SimpleUploadedFile("receipt.png", png(), content_type="image/png")
    html = done(zh.post(url(delivered, "reply"), {"reply_body": "这是小票", "reply_file": upload}), delivered)
    message = Message.objects.get(complaint=delivered)
    assert message.evidence is not None and message.evidence.kind == "image"
    file_url = f"/files/complaints/{delivered.pk}/evidence/{message.evidence_id}"
    assert f'<a class="thumb" href="{file_url}"><img src="{file_url}"' in html
    zh.force_login(staff)  # the business sees it too, and may open it
    assert file_url in page(zh, delivered)
    assert zh.get(file_url).status_code == 200


def test_a_file_that_is_not_a_picture_is_refused_and_the_text_kept(zh, consumer, delivered):
    zh.force_login(consumer)
    upload = SimpleUploadedFile("receipt.png", b"not a picture at all", content_type="image/png")
    response = zh.post(url(delivered, "reply"), {"reply_body": "这是小票", "reply_file": upload})
    assert response.status_code == 415
    html = response.content.decode()
    assert 'id="reply_file-error"' in html and "只能上传图片（JPEG、PNG、GIF、WebP）或PDF" in html
    assert ">这是小票</textarea>" in html and 'aria-invalid="true"' in html
    assert not Message.objects.filter(complaint=delivered).exists()


def test_an_empty_message_keeps_the_uploaded_picture_for_the_next_try(zh, consumer, delivered):
    zh.force_login(consumer)
    upload = SimpleUploadedFile("photo.png", png(), content_type="image/png")
    response = zh.post(url(delivered, "reply"), {"reply_body": "  ", "reply_file": upload})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="reply_body-error"' in html and "已上传：photo.png" in html
    evidence = delivered.evidence.get()
    assert f'name="reply_evidence" value="{evidence.pk}"' in html
    done(zh.post(url(delivered, "reply"), {"reply_body": "照片", "reply_evidence": evidence.pk}), delivered)
    assert Message.objects.get(complaint=delivered).evidence == evidence


def test_consumer_accepts_the_offer(zh, consumer, delivered, offer):
    zh.force_login(consumer)
    html = page(zh, delivered)
    assert f'name="proposal_id" value="{offer.pk}"' in html and "接受方案" in html
    html = done(zh.post(url(delivered, "accept"), {"proposal_id": offer.pk}), delivered)
    assert "您已接受和解方案，和解成功。" in html and "和解成功" in html
    delivered.refresh_from_db()
    assert delivered.state == "settled" and delivered.stars == 5
    assert "接受方案" not in html  # nothing pending any more


def test_consumer_rejects_with_a_reason(zh, consumer, delivered, offer):
    zh.force_login(consumer)
    html = done(zh.post(url(delivered, "reject"), {"proposal_id": offer.pk, "reject_reason": "太少了"}), delivered)
    offer.refresh_from_db()
    assert offer.status == "rejected" and offer.reject_reason == "太少了"
    assert "拒绝理由：太少了" in html


def test_consumer_counters_citing_a_clause(zh, consumer, staff, delivered, offer, make_user):
    clause = published_clause(make_user)
    zh.force_login(consumer)
    html = page(zh, delivered)
    assert f'<option value="{clause.pk}">3.2 出现异物的菜品，全额退款。' in html
    response = zh.post(url(delivered, "counter"), {
        "proposal_id": offer.pk, "counter_terms": "全额退款", "counter_amount": "38",
        "counter_clause": clause.pk, "counter_reason": "按标准应全额退款"})
    html = done(response, delivered)
    counter = Proposal.objects.get(complaint=delivered, status="counter")
    assert counter.amount == 38 and counter.clause == clause and counter.side == "consumer"
    assert "您的还价已发送给商家。" in html
    zh.force_login(staff)
    html = page(zh, delivered)
    assert "消费者还价" in html and "全额退款" in html and "¥38.00" in html
    assert "引用《catering服务规范》第 3.2 条（第 1 版）" in html and "出现异物的菜品，全额退款。" in html


def test_a_wrong_counter_amount_is_said_beside_it_and_the_rest_kept(zh, consumer, delivered, offer):
    zh.force_login(consumer)
    response = zh.post(url(delivered, "counter"), {
        "proposal_id": offer.pk, "counter_terms": "全额退款再赔一份", "counter_amount": "38.555"})
    assert response.status_code == 422
    html = response.content.decode()
    assert '<p class="error" id="counter_amount-error" role="alert">金额最多两位小数</p>' in html
    assert 'value="38.555" aria-invalid="true" aria-describedby="counter_amount-error"' in html
    assert ">全额退款再赔一份</textarea>" in html
    assert '<details class="action" open>\n      <summary>拒绝并还价' in html
    offer.refresh_from_db()
    assert offer.status == "pending"


def test_withdrawing_asks_first_then_withdraws(zh, consumer, delivered):
    zh.force_login(consumer)
    assert f'href="{url(delivered, "withdraw")}"' in page(zh, delivered)
    response = zh.get(url(delivered, "withdraw"))
    assert response.status_code == 200 and "撤回投诉？" in response.content.decode()
    delivered.refresh_from_db()
    assert delivered.state == "delivered"  # asking is not doing
    html = done(zh.post(url(delivered, "withdraw"), {"withdraw_reason": "已自行解决"}), delivered)
    delivered.refresh_from_db()
    assert delivered.state == "withdrawn" and delivered.closing_reason == "已自行解决"
    assert "投诉已撤回。" in html and "撤回投诉</a>" not in html
    assert zh.get(url(delivered, "withdraw"))["Location"] == url(delivered)  # nothing to confirm any more


def test_consumer_asks_for_mediation_after_the_business_refuses(zh, consumer, staff, delivered):
    services.complaint_refuse(actor=staff, complaint=delivered, reason="不同意退款")
    zh.force_login(consumer)
    html = page(zh, delivered)
    assert "经营者拒绝和解：不同意退款" in html and "申请消委调解" in html
    html = done(zh.post(url(delivered, "mediation"), {"mediation_reason": "希望消委主持公道"}), delivered)
    delivered.refresh_from_db()
    assert delivered.state == "mediating"
    assert "消委调解" in html and "希望消委主持公道" in html and "进行中" in html


def test_consumer_confirms_fulfilment_and_rates_with_stars(zh, consumer, staff, delivered, offer):
    services.proposal_accept(actor=consumer, complaint=delivered, proposal_id=offer.pk)
    zh.force_login(consumer)
    html = page(zh, delivered)
    for n in range(1, 6):
        assert f'<input type="radio" id="rate-{n}" name="rate_satisfaction" value="{n}">' in html
        assert f'<label for="rate-{n}"' in html
    html = done(zh.post(url(delivered, "confirm"), {"confirm_fulfilled": "yes", "confirm_note": "已收到退款"}),
                delivered)
    assert "感谢您的确认。" in html and "消费者确认已履行" in html
    html = done(zh.post(url(delivered, "rate"), {"rate_satisfaction": "4", "rate_comment": "处理还算及时"}),
                delivered)
    delivered.refresh_from_db()
    assert (delivered.fulfilment, delivered.satisfaction, delivered.satisfaction_comment) == (
        "confirmed", 4, "处理还算及时")
    assert "感谢您的评价。" in html and 'name="rate_satisfaction"' not in html  # rated once
    zh.force_login(staff)
    html = page(zh, delivered)
    assert "★★★★☆" in html and "4 / 5" in html and "处理还算及时" in html


def test_rating_without_stars_is_refused_beside_the_stars(zh, consumer, delivered, offer):
    services.proposal_accept(actor=consumer, complaint=delivered, proposal_id=offer.pk)
    zh.force_login(consumer)
    response = zh.post(url(delivered, "rate"), {"rate_comment": "还行"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="rate_satisfaction-error"' in html and "满意度应为1到5" in html and ">还行</textarea>" in html


def test_fulfilment_needs_a_choice(zh, consumer, delivered, offer):
    services.proposal_accept(actor=consumer, complaint=delivered, proposal_id=offer.pk)
    zh.force_login(consumer)
    response = zh.post(url(delivered, "confirm"), {"confirm_note": "没说清"})
    assert response.status_code == 422 and 'id="confirm_fulfilled-error"' in response.content.decode()


# --------------------------------------------------------------------------- the business


def test_business_answers_and_offers_citing_a_clause(zh, consumer, staff, delivered, make_user):
    clause = published_clause(make_user)
    zh.force_login(staff)
    done(zh.post(url(delivered, "reply"), {"reply_body": "您好，我们正在核实。"}), delivered)
    delivered.refresh_from_db()
    assert delivered.state == "negotiating" and delivered.first_response_at is not None
    html = done(zh.post(url(delivered, "offer"), {"offer_terms": "全额退款 38 元", "offer_amount": "38",
                                                  "offer_clause": clause.pk}), delivered)
    assert "和解方案已发送给消费者。" in html
    proposal = Proposal.objects.get(complaint=delivered)
    assert proposal.clause == clause and proposal.amount == 38
    zh.force_login(consumer)
    html = page(zh, delivered)
    assert "全额退款 38 元" in html and "第 3.2 条" in html and "出现异物的菜品，全额退款。" in html


def test_business_cites_a_clause_in_a_message(zh, consumer, staff, delivered, make_user):
    clause = published_clause(make_user)
    zh.force_login(staff)
    done(zh.post(url(delivered, "reply"), {"reply_body": "按标准处理", "reply_clause": clause.pk}), delivered)
    zh.force_login(consumer)
    assert "引用《catering服务规范》第 3.2 条（第 1 版）" in page(zh, delivered)


def test_another_industry_s_clause_is_refused_beside_the_picker(zh, staff, delivered, make_user):
    published_clause(make_user)
    other = published_clause(make_user, industry="lodging", number="2.1", text="退房时间12点。")
    zh.force_login(staff)
    response = zh.post(url(delivered, "offer"), {"offer_terms": "全额退款", "offer_clause": other.pk})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="offer_clause-error"' in html and "不能引用该条款" in html and ">全额退款</textarea>" in html


def test_an_offer_without_terms_is_refused_and_the_amount_kept(zh, staff, delivered):
    zh.force_login(staff)
    response = zh.post(url(delivered, "offer"), {"offer_terms": "", "offer_amount": "30"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="offer_terms-error"' in html and 'name="offer_amount" type="text" inputmode="decimal" value="30"' in html
    assert '<a href="#offer_terms">' in html  # the summary at the top leads to the field
    assert not Proposal.objects.exists()


def test_business_refuses_with_a_reason(zh, staff, delivered):
    zh.force_login(staff)
    response = zh.post(url(delivered, "refuse"), {"refuse_reason": "x"})
    assert response.status_code == 422 and 'id="refuse_reason-error"' in response.content.decode()
    html = done(zh.post(url(delivered, "refuse"), {"refuse_reason": "商品无质量问题"}), delivered)
    delivered.refresh_from_db()
    assert delivered.state == "failed" and "已拒绝和解，本次和解终止。" in html


def test_business_marks_fulfilled(zh, consumer, staff, delivered, offer):
    services.proposal_accept(actor=consumer, complaint=delivered, proposal_id=offer.pk)
    zh.force_login(staff)
    html = done(zh.post(url(delivered, "fulfilled")), delivered)
    delivered.refresh_from_db()
    assert delivered.fulfilment == "claimed" and "经营者称已履行" in html
    assert "标记为已履行</button>" in html  # may say so again until the consumer confirms


def test_business_sees_the_consumer_masked(zh, consumer, staff, delivered):
    zh.force_login(staff)
    html = page(zh, delivered)
    assert "138****8000" in html and "13800138000" not in html
    assert "质量 · 退款" in html  # what the order is about, not the business's own name as the heading


def test_a_council_urge_is_highlighted_until_acknowledged(zh, staff, council, delivered):
    services.complaint_urge(actor=council, complaint=delivered, note="请今天内答复消费者")
    zh.force_login(staff)
    html = page(zh, delivered)
    assert '<div class="card urge">' in html and "消委催办" in html and "请今天内答复消费者" in html
    inbox = zh.get("/complaints/").content.decode()
    assert 'class="order card urged"' in inbox and "请今天内答复消费者" in inbox
    urge = Urge.objects.get()
    html = done(zh.post(url(delivered, "acknowledge"), {"urge_id": urge.pk}), delivered)
    urge.refresh_from_db()
    assert urge.acknowledged_by == staff
    assert "已确认收到催办。" in html and '<div class="card urge">' not in html and "确认</li>" in html
    assert 'class="order card urged"' not in zh.get("/complaints/").content.decode()


def test_automatic_urges_are_shown_too(zh, staff, delivered, traveller):
    traveller.shift(dt.timedelta(hours=25))
    services.complaint_process_due(complaint=delivered.pk)
    zh.force_login(staff)
    html = page(zh, delivered)
    assert "平台自动催办" in html and "送达已超过24小时仍未回复，请立即处理" in html


# --------------------------------------------------------------------------- refusals


def test_a_consumer_cannot_make_an_offer(zh, consumer, delivered):
    zh.force_login(consumer)
    assert 'name="offer_terms"' not in page(zh, delivered)
    response = zh.post(url(delivered, "offer"), {"offer_terms": "我来出方案", "offer_amount": "1"})
    assert response.status_code == 403
    assert "消费者不能执行此操作。" in response.content.decode()
    assert not Proposal.objects.exists()


def test_a_consumer_cannot_acknowledge_an_urge(zh, consumer, council, delivered):
    urge = services.complaint_urge(actor=council, complaint=delivered, note="快")
    zh.force_login(consumer)
    assert "确认收到催办" not in page(zh, delivered)
    assert zh.post(url(delivered, "acknowledge"), {"urge_id": urge.pk}).status_code == 403
    urge.refresh_from_db()
    assert urge.acknowledged_at is None


def test_an_urge_of_another_order_is_not_found(zh, staff, council, delivered, file_complaint, make_user):
    other = file_complaint(who=make_user("consumer"), order_ref="X")
    urge = services.complaint_urge(actor=council, complaint=other, note="快")
    zh.force_login(staff)
    assert zh.post(url(delivered, "acknowledge"), {"urge_id": urge.pk}).status_code == 404
    urge.refresh_from_db()
    assert urge.acknowledged_at is None


def test_business_staff_cannot_accept(zh, staff, delivered, offer):
    zh.force_login(staff)
    assert "接受方案</button>" not in page(zh, delivered)
    response = zh.post(url(delivered, "accept"), {"proposal_id": offer.pk})
    assert response.status_code == 403 and "经营者不能执行此操作。" in response.content.decode()
    delivered.refresh_from_db()
    assert delivered.state == "negotiating"


@pytest.mark.parametrize("action", ["reply", "offer", "accept", "counter", "withdraw", "rate", "acknowledge"])
def test_someone_else_s_order_is_a_404_for_every_action(zh, delivered, offer, make_user, make_business, action):
    zh.force_login(make_user("consumer"))
    assert zh.post(url(delivered, action), {"reply_body": "x", "proposal_id": offer.pk}).status_code == 404
    zh.force_login(make_user("business", business=make_business()))
    assert zh.post(url(delivered, action), {"offer_terms": "全额退款"}).status_code == 404
    assert not Message.objects.exists() and Proposal.objects.count() == 1


def test_an_action_out_of_turn_says_why(zh, consumer, delivered, offer):
    zh.force_login(consumer)
    response = zh.post(url(delivered, "rate"), {"rate_satisfaction": "5"})
    assert response.status_code == 409
    assert "这件投诉当前为「和解中」，不能执行此操作。" in response.content.decode()
    services.complaint_withdraw(actor=consumer, complaint=delivered)
    response = zh.post(url(delivered, "accept"), {"proposal_id": offer.pk})
    assert response.status_code == 409 and "这件投诉当前为「已撤回」" in response.content.decode()


def test_accepting_an_offer_that_was_replaced_says_so(zh, consumer, staff, delivered, offer):
    services.proposal_make(actor=staff, complaint=delivered, terms="全额退款", amount="38")
    zh.force_login(consumer)
    response = zh.post(url(delivered, "accept"), {"proposal_id": offer.pk})  # a stale page
    assert response.status_code == 409 and "不能再回复" in response.content.decode()
    assert Complaint.objects.get(pk=delivered.pk).state == "negotiating"


def test_action_urls_answer_a_get_with_the_order_page(zh, consumer, delivered):
    zh.force_login(consumer)
    assert zh.get(url(delivered, "accept"))["Location"] == url(delivered)


def test_actions_need_sign_in(zh, delivered):
    response = zh.post(url(delivered, "reply"), {"reply_body": "hi"})
    assert response.status_code == 302 and response["Location"].startswith("/signin/")
    assert not Message.objects.exists()


def test_errors_are_in_english_for_an_english_reader(en, consumer, delivered, offer):
    en.force_login(consumer)
    response = en.post(url(delivered, "counter"), {"proposal_id": offer.pk, "counter_amount": "12"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Say what you would accept" in html and "还价请写明条件" not in html


# --------------------------------------------------------------------------- what the page says


def test_an_order_forwarded_elsewhere_is_labelled_forwarded(zh, consumer, council, traveller):
    order = services.complaint_submit(consumer=consumer, business_name="不在平台的小店", region_code="420102",
                                      problem_type="quality", description="买的热干面里有异物，要求退款。",
                                      claim_type="apology")
    services.complaint_forward(actor=council, complaint=order, external="12315")
    zh.force_login(consumer)
    html = page(zh, order)
    assert "已转交 12315" in html and "不予受理" not in html
    assert "已转交 12315" in zh.get("/complaints/").content.decode()


def test_opening_an_order_reads_its_notices(zh, consumer, staff, delivered):
    from hejie.notifications.models import Notification

    services.message_post(actor=staff, complaint=delivered, body="您好")
    assert Notification.objects.filter(user=consumer, read_at__isnull=True).exists()
    zh.force_login(consumer)
    page(zh, delivered)
    assert not Notification.objects.filter(user=consumer, complaint=delivered, read_at__isnull=True).exists()
