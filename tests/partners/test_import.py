"""Preview and commit of bulk imports: good, mixed and hostile files."""

import io

import pytest

from hejie.businesses.models import Business, Store
from hejie.core.errors import Conflict, InvalidInput, NotAllowed, TooLarge
from hejie.partners import services
from hejie.partners.models import ImportBatch, ImportRow
from tests.conftest import make_credit_code
from tests.partners.conftest import HEADER, csv_bytes

pytestmark = pytest.mark.django_db


def good_rows(n, start=5000):
    return [(f"商户{i}", make_credit_code(start + i), "餐饮", "420102", "江岸区某路1号", "张三", "13800000000",
             "一店@420102;二店@420103", 1000) for i in range(n)]


def preview(staff, partner, data, filename="shops.csv"):
    return services.import_preview(actor=staff, partner=partner, filename=filename, data=data)


def outcomes(batch):
    return {r.line: (r.outcome, r.reason) for r in batch.rows.all()}


def test_good_file_previews_then_commits(partner, partner_staff):
    batch = preview(partner_staff, partner, csv_bytes(good_rows(3)))
    assert (batch.total_rows, batch.accepted, batch.refused, batch.already) == (3, 3, 0, 0)
    assert Business.objects.count() == 0  # preview creates nothing
    batch = services.import_commit(actor=partner_staff, batch=batch)
    assert batch.status == "committed" and batch.created == 3 and batch.rows_done == 3
    made = Business.objects.filter(partner=partner)
    assert made.count() == 3 and set(made.values_list("status", flat=True)) == {"applied"}
    assert Store.objects.filter(business__partner=partner).count() == 6
    assert all(r.business_id for r in batch.rows.all())


def test_onboard_status_active_starts_active(make_partner, make_user):
    p = make_partner("连锁总部", onboard_status="active")
    staff = make_user("partner", partner=p)
    batch = services.import_commit(actor=staff, batch=preview(staff, p, csv_bytes(good_rows(2, 7000))))
    assert set(Business.objects.filter(partner=p).values_list("status", flat=True)) == {"active"}
    assert all(b.approved_at for b in Business.objects.filter(partner=p))
    assert batch.created == 2


@pytest.mark.parametrize("chunk", [2000, 1], ids=["one-chunk", "a-chunk-per-row"])
def test_mixed_file_row_report(partner, partner_staff, make_business, monkeypatch, chunk):
    """The same report whether the file is read in one chunk or a row at a time (a duplicate of a row
    in an earlier chunk, the platform's codes looked up chunk by chunk)."""
    monkeypatch.setattr(services, "PREVIEW_CHUNK", chunk)
    existing = make_business("老商户")
    code = make_credit_code(8001)
    lost = make_credit_code(8002)[:17]  # what a numeric cell leaves of a code
    rows = [
        ("好商户", code, "catering", "420102", "", "", "", "", ""),
        ("重复", code, "餐饮", "420102", "", "", "", "", ""),
        ("已在平台", existing.credit_code, "餐饮", "420102", "", "", "", "", ""),
        ("丢字母", lost, "餐饮", "420102", "", "", "", "", ""),
        ("错校验", code[:-1] + ("0" if code[-1] != "0" else "1"), "餐饮", "420102", "", "", "", "", ""),
        ("", make_credit_code(8003), "餐饮", "420102", "", "", "", "", ""),
        ("坏行业", make_credit_code(8004), "炼丹", "420102", "", "", "", "", ""),
        ("坏地区", make_credit_code(8005), "餐饮", "999999", "", "", "", "", ""),
        ("地区名", make_credit_code(8006), "零售", "江岸区", "", "", "", "坏门店", "abc"),
    ]
    batch = preview(partner_staff, partner, csv_bytes(rows))
    got = outcomes(batch)
    assert got[2][0] == "accepted"
    assert got[3][0] == "refused" and "第2行" in got[3][1]
    assert got[4][0] == "already"
    assert got[5][0] == "refused" and "数字格式" in got[5][1] and "18位" in got[5][1]
    assert got[6][0] == "refused" and "校验位" in got[6][1]
    assert got[7][0] == "refused" and "name is required" in got[7][1]
    assert got[8][0] == "refused" and "行业" in got[8][1]
    assert got[9][0] == "refused" and "地区代码" in got[9][1]
    assert got[10][0] == "refused" and "名称@地区代码" in got[10][1] and "order_volume" in got[10][1]
    assert (batch.accepted, batch.refused, batch.already) == (1, 7, 1)
    services.import_commit(actor=partner_staff, batch=batch)
    assert Business.objects.filter(partner=partner).count() == 1


def test_region_name_resolves_uniquely(partner, partner_staff):
    batch = preview(partner_staff, partner, csv_bytes([("地区名", make_credit_code(8101), "零售", "江岸区",
                                                         "", "", "", "", "")]))
    row = batch.rows.get()
    assert row.outcome == "accepted", row.reason
    assert row.data["region_code"] == "420102"


def test_chinese_headers_bom_and_gb18030(partner, partner_staff):
    header = "名称,统一社会信用代码,行业,地区代码,地址\n"
    rows = [("汉口小吃", make_credit_code(8201), "餐饮", "420102", "武汉")]
    for encoding, data in (("utf-8-sig", None), ("gb18030", None)):
        data = csv_bytes(rows, header=header, encoding=encoding)
        batch = preview(partner_staff, partner, data)
        assert batch.accepted == 1, (encoding, batch.rows.get().reason)
        assert batch.rows.get().data["name"] == "汉口小吃"
        ImportBatch.objects.filter(pk=batch.pk).delete()


@pytest.mark.parametrize("data, code", [
    (b"", "empty"),
    (b"   \n\n", "empty"),
    (HEADER.encode(), "empty"),
    ("名字,代码\n甲,乙\n".encode(), "columns"),
    (b"name,credit_code,industry,region_code,colour\n", "columns"),
    ("name,名称,credit_code,industry,region_code\n".encode(), "columns"),
    ("名称,统一社会信用代码,行业,地区代码\n".encode("utf-16"), "encoding"),
    (b"\x80\x81\x82\xff\xfe\x00\x01", "encoding"),
    (b"name,credit_code\x00,industry\n", "encoding"),
])
def test_hostile_files_refused_whole(partner, partner_staff, data, code):
    with pytest.raises(InvalidInput) as exc:
        preview(partner_staff, partner, data)
    assert exc.value.code == code
    assert "file" in exc.value.fields
    assert ImportBatch.objects.count() == 0


def test_row_limit(partner, partner_staff, settings):
    code = make_credit_code(8301)
    line = f"x,{code},餐饮,420102\n"
    data = ("name,credit_code,industry,region_code\n" + line * 100_001).encode()
    with pytest.raises(TooLarge) as exc:
        preview(partner_staff, partner, data)
    assert "100,000" in exc.value.message
    assert ImportBatch.objects.count() == 0 and ImportRow.objects.count() == 0


def test_byte_limit(partner, partner_staff, settings):
    settings.HEJIE_IMPORT_MAX_BYTES = 100
    with pytest.raises(TooLarge):
        preview(partner_staff, partner, csv_bytes(good_rows(3)))


def _xlsx(rows, header=("名称", "统一社会信用代码", "行业", "地区代码")):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(header))
    for r in rows:
        sheet.append(list(r))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_formula_and_number_cells(partner, partner_staff):
    digits_only = make_credit_code(8401)
    while not digits_only.isdigit():  # a code that is all digits, stored as a number
        digits_only = make_credit_code()
    data = _xlsx([
        ("好商户", make_credit_code(8402), "餐饮", "420102"),
        ("=HYPERLINK(\"http://x\",\"点我\")", make_credit_code(8403), "餐饮", "420102"),
        ("公式代码", "=A1&B1", "餐饮", "420102"),
        ("数字代码", int(digits_only[:15]) * 1000, "餐饮", 420102),
    ])
    batch = preview(partner_staff, partner, data, filename="shops.xlsx")
    got = outcomes(batch)
    assert got[2][0] == "accepted", got[2]
    assert got[3][0] == "refused" and "formula" in got[3][1]
    assert got[4][0] == "refused" and "formula" in got[4][1]
    assert got[5][0] == "refused" and "format the column as text" in got[5][1]


def test_broken_xlsx_is_a_clear_error(partner, partner_staff):
    with pytest.raises(InvalidInput) as exc:
        preview(partner_staff, partner, b"PK\x03\x04garbage" * 10, filename="x.xlsx")
    assert "xlsx" in exc.value.message


def test_resend_and_commit_twice_are_idempotent(partner, partner_staff):
    data = csv_bytes(good_rows(4, 9000))
    first = preview(partner_staff, partner, data)
    assert preview(partner_staff, partner, data).pk == first.pk  # same pending preview
    services.import_commit(actor=partner_staff, batch=first)
    again = services.import_commit(actor=partner_staff, batch=first)
    assert again.status == "committed" and again.created == 4
    assert Business.objects.count() == 4
    resent = preview(partner_staff, partner, data)
    assert resent.pk != first.pk and resent.already == 4 and resent.accepted == 0
    assert "本合作方" in resent.rows.first().reason
    services.import_commit(actor=partner_staff, batch=resent)
    assert Business.objects.count() == 4


def test_two_previews_of_the_same_codes_create_once(partner, partner_staff):
    a = preview(partner_staff, partner, csv_bytes(good_rows(2, 9100)))
    b = preview(partner_staff, partner, csv_bytes(good_rows(2, 9100)) + b"\n")
    assert a.pk != b.pk
    services.import_commit(actor=partner_staff, batch=a)
    b = services.import_commit(actor=partner_staff, batch=b)
    assert Business.objects.count() == 2
    assert (b.created, b.already, b.accepted) == (0, 2, 0)


def test_failure_rolls_back_the_chunk_and_resumes(partner, partner_staff, monkeypatch):
    monkeypatch.setattr(services, "CHUNK", 3)
    monkeypatch.setattr(services, "PREVIEW_CHUNK", 2)
    batch = preview(partner_staff, partner, csv_bytes(good_rows(7, 9200)))
    real = services.bulk_insert
    calls = {"n": 0}

    def flaky(model, fields, rows, **kw):  # the second chunk's stores fail after its businesses are written
        if model is Store:
            calls["n"] += 1
            if calls["n"] == 2:
                raise RuntimeError("disk full")
        return real(model, fields, rows, **kw)

    monkeypatch.setattr(services, "bulk_insert", flaky)
    with pytest.raises(RuntimeError):
        services.import_commit(actor=partner_staff, batch=batch)
    batch.refresh_from_db()
    assert batch.status == "failed" and "resume" in batch.error
    assert batch.rows_done == 3 and batch.created == 3
    assert Business.objects.count() == 3  # the failed chunk left nothing: no business without its stores
    assert Store.objects.count() == 6
    batch = services.import_commit(actor=partner_staff, batch=batch)
    assert batch.status == "committed" and batch.created == 7 and Business.objects.count() == 7
    assert Store.objects.count() == 14


def test_only_the_partners_staff_may_import(partner, partner_staff, make_partner, make_user, council, consumer):
    other = make_user("partner", partner=make_partner("别家"))
    for who in (other, council, consumer, None):
        with pytest.raises(NotAllowed):
            preview(who, partner, csv_bytes(good_rows(1)))
    batch = preview(partner_staff, partner, csv_bytes(good_rows(1, 9300)))
    with pytest.raises(NotAllowed):
        services.import_commit(actor=other, batch=batch)
    assert Business.objects.count() == 0


def test_inactive_partner_cannot_import(make_partner, make_user):
    p = make_partner("未审核", status="applied")
    with pytest.raises(Conflict):
        preview(make_user("partner", partner=p), p, csv_bytes(good_rows(1)))


def test_partner_apply_and_approve(consumer, council, make_user):
    p = services.partner_apply(applicant=consumer, name="湖北餐饮协会", kind="association", region_code="420100")
    assert p.status == "applied" and consumer.role == "partner" and consumer.partner == p
    with pytest.raises(NotAllowed):
        services.partner_approve(actor=make_user("council", region="420500"), partner=p)
    with pytest.raises(InvalidInput):
        services.partner_approve(actor=council, partner=p, onboard_status="refused")
    p = services.partner_approve(actor=council, partner=p, onboard_status="active")
    assert p.status == "active" and p.onboard_status == "active"
    with pytest.raises(Conflict):
        services.partner_approve(actor=council, partner=p)


def test_a_rows_credit_code_refusal_is_stored_in_both_languages(partner, partner_staff):
    """Row reasons are read later by any of the partner's staff: stored bilingual, whatever
    the language of the request that previewed the file (the credit code's refusals are gettext)."""
    from django.utils import translation

    from hejie.core.i18n import pick

    code = make_credit_code(8701)
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    with translation.override("en"):
        batch = preview(partner_staff, partner, csv_bytes([("错校验", bad, "餐饮", "420102", "", "", "", "", "")]))
    reason = batch.rows.get().reason.split("；")[0]  # then the hint about numeric cells (a code of digits)
    assert reason == ("统一社会信用代码的校验位不正确，请核对 "
                      "(The check character of the unified social credit code is wrong)")
    with translation.override("zh-hans"):
        assert pick(reason) == "统一社会信用代码的校验位不正确，请核对"
    with translation.override("en"):
        assert pick(reason) == "The check character of the unified social credit code is wrong"
