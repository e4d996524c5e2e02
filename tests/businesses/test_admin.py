import pytest

from hejie.businesses.models import Business


@pytest.fixture
def operator_client(client, make_user):
    operator = make_user("operator", is_staff=True, is_superuser=True)
    client.force_login(operator)
    return client


def test_business_changelist_search_filters_and_change_page(operator_client, make_business):
    b = make_business("武汉热干面馆", status="applied")
    b.stores.create(name="江岸店", region_id="420102")
    r = operator_client.get("/admin/businesses/business/", {"q": "武汉"})
    assert r.status_code == 200 and "武汉热干面馆" in r.content.decode()
    r = operator_client.get(
        "/admin/businesses/business/", {"status__exact": "applied", "industry__code__exact": "catering"}
    )
    assert r.status_code == 200 and "武汉热干面馆" in r.content.decode()
    r = operator_client.get(f"/admin/businesses/business/{b.pk}/change/")
    assert r.status_code == 200 and "江岸店" in r.content.decode()
    assert operator_client.get("/admin/businesses/business/add/").status_code == 403
    assert operator_client.get("/admin/businesses/industry/").status_code == 200
    assert operator_client.get("/admin/businesses/store/").status_code == 200


def test_status_actions_go_through_the_services(operator_client, make_business):
    applied = make_business(status="applied")
    active = make_business()
    url = "/admin/businesses/business/"
    r = operator_client.post(url, {"action": "approve", "_selected_action": [applied.pk, active.pk]}, follow=True)
    assert r.status_code == 200
    applied.refresh_from_db()
    assert applied.status == Business.Status.ACTIVE and applied.approved_at is not None

    r = operator_client.post(url, {"action": "suspend", "_selected_action": [active.pk], "reason": ""}, follow=True)
    active.refresh_from_db()
    assert active.status == Business.Status.ACTIVE  # a reason is required
    operator_client.post(url, {"action": "suspend", "_selected_action": [active.pk], "reason": "多次逾期"})
    active.refresh_from_db()
    assert active.status == Business.Status.SUSPENDED and active.status_reason == "多次逾期"


def test_renaming_in_admin_updates_initials(operator_client, make_business):
    b = make_business("旧名字")
    r = operator_client.post(
        f"/admin/businesses/business/{b.pk}/change/",
        {
            "name": "武汉热干面馆",
            "industry": "catering",
            "address": "",
            "contact_name": "",
            "contact_phone": "",
            "contact_email": "",
            "stores-TOTAL_FORMS": "0",
            "stores-INITIAL_FORMS": "0",
            "stores-MIN_NUM_FORMS": "0",
            "stores-MAX_NUM_FORMS": "1000",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    b.refresh_from_db()
    assert b.name == "武汉热干面馆" and b.name_initials == "whrgmg"


def test_region_admin_is_read_only_and_searchable(operator_client):
    r = operator_client.get("/admin/regions/region/", {"q": "4201"})
    assert r.status_code == 200 and "江岸区" in r.content.decode()
    r = operator_client.get("/admin/regions/region/", {"q": "宜昌"})
    assert r.status_code == 200 and "420500" in r.content.decode()
    assert operator_client.get("/admin/regions/region/add/").status_code == 403
    r = operator_client.get("/admin/regions/region/420102/change/")
    assert r.status_code == 200 and 'name="name"' not in r.content.decode()  # shown, not editable
    r = operator_client.get(
        "/admin/autocomplete/",
        {"term": "江岸", "app_label": "businesses", "model_name": "store", "field_name": "region"},
    )
    assert r.status_code == 200 and "420102" in r.content.decode()
