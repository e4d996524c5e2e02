"""The partners' upload page: good, mixed and hostile files, the report
before anything is committed, commit, re-send, progress, stuck batches, the
businesses' record; and who may not open it."""

import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from hejie.businesses.models import Business
from hejie.partners import services
from hejie.partners.models import ImportBatch
from tests.conftest import last_code, make_credit_code
from tests.partners.conftest import HEADER, csv_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner(db):
    from hejie.partners.models import Partner
    from hejie.regions.models import Region

    return Partner.objects.create(name="美食外卖平台", kind="platform", region=Region.objects.get(code="420000"),
                                  status="active", onboard_status="active")


@pytest.fixture
def pstaff(make_user, partner):
    return make_user("partner", partner=partner)


@pytest.fixture
def signed_in(zh, pstaff):
    zh.force_login(pstaff)
    return zh


def good(n, start=21000, volume=36500):
    return [(f"商户{i}", make_credit_code(start + i), "餐饮", "420102", "", "", "", "", volume) for i in range(n)]


def send(client, data, name="shops.csv"):
    return client.post("/partners/imports/", {"file": SimpleUploadedFile(name, data)})


def test_mixed_file_report_shown_nothing_committed_then_commit(signed_in, partner, make_business):
    existing = make_business("老商户")
    rows = good(2) + [("丢字母", make_credit_code(21500)[:17], "餐饮", "420102", "", "", "", "", ""),
                      ("坏行业", make_credit_code(21501), "炼丹", "420102", "", "", "", "", ""),
                      ("老商户", existing.credit_code, "餐饮", "420102", "", "", "", "", "")]
    r = send(signed_in, csv_bytes(rows))
    assert r.status_code == 302
    batch = ImportBatch.objects.get()
    assert r["Location"] == f"/partners/imports/{batch.pk}/"
    html = signed_in.get(r["Location"]).content.decode()
    assert Business.objects.filter(partner=partner).count() == 0  # nothing before the commit
    for text in ("商户0", "丢字母", "数字格式", "未知的行业", "已在平台", "确认导入 2 家商户",
                 make_credit_code(21500)[:17]):  # a refused code is shown as it was typed
        assert text in html, text
    assert "(unknown industry" not in html  # each reason in the reader's language only
    refused = signed_in.get(f"/partners/imports/{batch.pk}/?outcome=refused").content.decode()
    assert "丢字母" in refused and "商户0" not in refused
    r = signed_in.post(f"/partners/imports/{batch.pk}/commit/")
    assert r.status_code == 302 and r["Location"] == f"/partners/imports/{batch.pk}/"
    html = signed_in.get(r["Location"]).content.decode()
    assert "导入完成：新建 2 家商户。" in html and "已导入" in html
    assert Business.objects.filter(partner=partner).count() == 2
    # the same file again: a new report where every row is on the platform; committing creates nothing
    r = send(signed_in, csv_bytes(rows))
    again = ImportBatch.objects.exclude(pk=batch.pk).get()
    assert (again.accepted, again.already) == (0, 3)
    assert "确认导入" not in signed_in.get(r["Location"]).content.decode()
    signed_in.post(f"/partners/imports/{again.pk}/commit/")
    assert Business.objects.filter(partner=partner).count() == 2
    listing = signed_in.get("/partners/imports/").content.decode()
    assert listing.count("shops.csv") == 2 and "新建 2 家" in listing


def test_the_businesses_record_without_consumer_data(signed_in, partner, traveller, file_complaint):
    batch = send(signed_in, csv_bytes(good(1)))
    services.import_commit(actor=signed_in_user(partner), batch=ImportBatch.objects.get())
    shop = Business.objects.get(partner=partner)
    traveller.shift(dt.timedelta(days=40))
    file_complaint(biz=shop)
    html = signed_in.get("/partners/businesses/").content.decode()
    assert batch.status_code == 302 and "商户0" in html and shop.credit_code in html
    assert "13800138000" not in html and "异物" not in html
    rate = round(10000 / (36500 * 40 / 365), 2)
    assert str(rate) in html


def signed_in_user(partner):
    return partner.staff.get()


@pytest.mark.parametrize(("data", "name", "expected"), [
    (b"", "empty.csv", "文件是空的"),
    ("名称,地址\n某店,某路\n".encode(), "cols.csv", "缺少列"),
    ("\ufeffname,credit_code".encode("utf-16"), "u16.csv", "UTF-16"),
    (b"\x81\x30\x81\xff\xfe\x00garbage", "bin.csv", "编码"),
    (HEADER.encode(), "header-only.csv", "没有数据行"),
    (b"PK\x03\x04not really a zip", "broken.xlsx", "无法读取xlsx"),
])
def test_hostile_files_get_the_importer_s_message_never_a_500(signed_in, data, name, expected):
    r = send(signed_in, data, name)
    html = r.content.decode()
    assert r.status_code in (413, 422), r.status_code
    assert expected in html and 'id="file-error"' in html and 'aria-invalid="true"' in html
    assert ImportBatch.objects.count() == 0


def test_too_many_rows_and_formulas(signed_in, settings):
    settings.HEJIE_IMPORT_MAX_ROWS = 3
    r = send(signed_in, csv_bytes(good(4)))
    assert r.status_code == 413 and "超过3行" in r.content.decode()
    settings.HEJIE_IMPORT_MAX_ROWS = 100
    rows = [("=HYPERLINK(\"http://x\")", make_credit_code(21900), "餐饮", "420102", "", "", "", "", "")]
    r = send(signed_in, csv_bytes(rows))
    html = signed_in.get(r["Location"]).content.decode()
    assert "公式" in html and "没有可导入的行" in html


def test_xlsx_with_a_numeric_credit_code(signed_in):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["名称", "统一社会信用代码", "行业", "地区代码"])
    sheet.append(["数字代码店", 914201021234567, "餐饮", "420102"])
    sheet.append(["好店", make_credit_code(21950), "餐饮", 420102])
    out = io.BytesIO()
    book.save(out)
    r = send(signed_in, out.getvalue(), "shops.xlsx")
    html = signed_in.get(r["Location"]).content.decode()
    assert "数字格式" in html and "好店" in html and "确认导入 1 家商户" in html


def test_no_file_is_a_message_beside_the_field(signed_in):
    r = signed_in.post("/partners/imports/", {})
    assert r.status_code == 422 and "请选择要上传的CSV或xlsx文件。" in r.content.decode()


def test_english(en, pstaff):
    en.force_login(pstaff)
    r = en.post("/partners/imports/", {"file": SimpleUploadedFile("x.csv", b"")})
    html = r.content.decode()
    assert "The file is empty" in html and "文件是空的" not in html and "Bulk onboarding" in html
    r = en.post("/partners/imports/", {"file": SimpleUploadedFile("x.csv", csv_bytes(
        [("坏行业", make_credit_code(21990), "炼丹", "420102", "", "", "", "", "")]))})
    html = en.get(r["Location"]).content.decode()
    assert "Unknown industry" in html and "未知的行业" not in html and "Row report" in html


def test_another_partner_s_batch_is_a_404(signed_in, make_user, make_business):
    from hejie.partners.models import Partner
    from hejie.regions.models import Region

    other = Partner.objects.create(name="别家", kind="chain", region=Region.objects.get(code="420000"),
                                   status="active")
    theirs = services.import_preview(actor=make_user("partner", partner=other), partner=other, filename="t.csv",
                                     data=csv_bytes(good(1, 22000)))
    assert signed_in.get(f"/partners/imports/{theirs.pk}/").status_code == 404
    assert signed_in.post(f"/partners/imports/{theirs.pk}/commit/").status_code == 404
    assert signed_in.post(f"/partners/imports/{theirs.pk}/reset/").status_code == 404
    assert Business.objects.count() == 0


@pytest.mark.parametrize("role", ["consumer", "business", "council", "unapproved_partner"])
def test_others_cannot_open_the_pages(zh, make_user, business, role):
    from hejie.partners.models import Partner
    from hejie.regions.models import Region

    user = {
        "consumer": lambda: make_user("consumer"),
        "business": lambda: make_user("business", business=business, is_business_admin=True),
        "council": lambda: make_user("council", region="420000"),
        "unapproved_partner": lambda: make_user("partner", partner=Partner.objects.create(
            name="待审", kind="platform", region=Region.objects.get(code="420000"))),
    }[role]()
    zh.force_login(user)
    r = zh.get("/partners/imports/")
    if role == "unapproved_partner":  # its own staff are shown where the application stands
        assert r.status_code == 302 and r["Location"] == "/partners/status/"
    else:
        assert r.status_code == 404
    assert send(zh, csv_bytes(good(1, 23000))).status_code == 404
    assert zh.get("/partners/businesses/").status_code == 404
    assert ImportBatch.objects.count() == 0


def test_signed_out_goes_to_the_staff_sign_in(client):
    r = client.get("/partners/imports/")
    assert r.status_code == 302 and r["Location"].startswith("/signin/staff/")


def test_progress_refreshes_and_a_stuck_batch_can_be_resumed(signed_in, partner, traveller, monkeypatch):
    batch = services.import_preview(actor=signed_in_user(partner), partner=partner, filename="big.csv",
                                    data=csv_bytes(good(5, 24000)))
    ImportBatch.objects.filter(pk=batch.pk).update(status="committing", rows_done=2, heartbeat_at=traveller_now())
    html = signed_in.get(f"/partners/imports/{batch.pk}/").content.decode()
    assert '<meta http-equiv="refresh" content="2">' in html and "2 / 5" in html
    assert "partner-import-commit" not in html and "/commit/" not in html
    traveller.shift(dt.timedelta(minutes=10))
    html = signed_in.get(f"/partners/imports/{batch.pk}/").content.decode()
    assert 'http-equiv="refresh"' not in html and "导入进程已中断" in html and "/commit/" in html
    signed_in.post(f"/partners/imports/{batch.pk}/commit/")
    batch.refresh_from_db()
    assert batch.status == "committed" and Business.objects.filter(partner=partner).count() == 5


def traveller_now():
    from hejie.core import clock

    return clock.now()


# ------------------------------------------------------------------ applying from the web


ADMIN_PHONE = "13912340001"


@pytest.fixture
def apply_form(zh, sms, django_capture_on_commit_callbacks):
    """The partner application form, filled, with the code the page's "send the code" button sent."""
    with django_capture_on_commit_callbacks(execute=True):
        r = zh.post("/partners/apply/", {"contact_phone": ADMIN_PHONE, "send_code": "1", "name": "kept"})
    assert r.status_code == 200 and "验证码已发送至 139****0001" in r.content.decode()
    assert 'value="kept"' in r.content.decode()  # what was typed comes back
    code = last_code(sms)

    def form(**over):
        data = {"name": "江城连锁餐饮总部", "kind": "chain", "region_code": "420100", "display_name": "李经理",
                "contact_phone": ADMIN_PHONE, "phone_code": code,
                "username": "jiangcheng-admin", "password": "hejie-partner-2026", "apply": "1"}
        data.update(over)
        return data

    return form


def test_apply_makes_the_partner_and_its_admin_then_shows_the_status(zh, council, apply_form):
    from hejie.partners.models import Partner

    r = zh.post("/partners/apply/", apply_form())
    assert r.status_code == 302 and r["Location"] == "/partners/status/"
    partner = Partner.objects.get(name="江城连锁餐饮总部")
    admin = partner.staff.get()
    assert partner.status == "applied" and partner.admins.filter(pk=admin.pk).exists()
    assert admin.check_password("hejie-partner-2026") and admin.role == "partner"
    assert admin.mobile == ADMIN_PHONE and admin.mobile_verified_at is not None  # proved by the code
    html = zh.get("/partners/status/").content.decode()
    assert "待审核" in html and "武汉市" in html
    assert zh.get("/partners/imports/")["Location"] == "/partners/status/"  # no uploads before the approval
    assert send(zh, csv_bytes(good(1, 25000))).status_code == 404
    services.partner_refuse(actor=council, partner=partner, reason="营业执照已过期")
    html = zh.get("/partners/status/").content.decode()
    assert "未通过的原因：营业执照已过期" in html


def test_apply_errors_beside_each_field_and_the_form_kept(zh, make_user, apply_form):
    from hejie.partners.models import Partner

    r = zh.post("/partners/apply/", apply_form(name="", kind="association", region_code="999999",
                                              username="李 经理", password="123", contact_phone="123"))
    html = r.content.decode()
    assert r.status_code == 422
    for field in ("name", "region_code", "industries", "username", "password", "contact_phone"):
        assert f'id="{field}-error"' in html, field
    assert 'value="李经理"' in html and Partner.objects.count() == 0


def test_the_form_says_a_username_is_taken_only_to_one_who_proved_the_phone(zh, make_user, apply_form):
    from hejie.partners.models import Partner

    make_user("consumer", username="taken-name")
    pages = {}
    for username in ("taken-name", "free-name"):
        r = zh.post("/partners/apply/", apply_form(username=username, phone_code="000000"))
        assert r.status_code == 422
        html = r.content.decode()
        assert 'id="phone_code-error"' in html and 'id="username-error"' not in html
        # what the page says (every error beside its field), the tries left counting down with each wrong code
        pages[username] = re.sub(r"\d+", "N", str(re.findall(r'<p class="error"[^>]*>([^<]*)<', html)))
    assert pages["taken-name"] == pages["free-name"]  # nothing tells them apart
    r = zh.post("/partners/apply/", apply_form(username="taken-name"))  # the right code
    assert r.status_code == 422 and "已被使用" in r.content.decode()
    assert zh.post("/partners/apply/", apply_form(username="jc-admin")).status_code == 302  # the code still serves
    assert Partner.objects.get().admins.get().username == "jc-admin"


def test_enter_in_a_field_applies_rather_than_sending_a_code(zh):
    """The form's first submit button is the default one a browser presses on Enter: it must apply."""
    html = zh.get("/partners/apply/").content.decode()
    first = html[html.index('<form method="post" action="/partners/apply/"'):].split("<button", 2)[1]
    assert 'name="apply"' in first and 'name="send_code"' not in first


def test_an_association_chooses_its_industries(zh, apply_form):
    from hejie.partners.models import Partner

    r = zh.post("/partners/apply/", apply_form(name="湖北省旅游协会", kind="association",
                                              industries=["tourism", "lodging"]))
    assert r.status_code == 302
    assert set(Partner.objects.get().industries.values_list("code", flat=True)) == {"tourism", "lodging"}


def test_staff_cannot_apply(zh, make_user, business, apply_form):
    zh.force_login(make_user("business", business=business))
    r = zh.post("/partners/apply/", apply_form())
    assert r.status_code == 403 and "请退出登录后再申请" in r.content.decode()
