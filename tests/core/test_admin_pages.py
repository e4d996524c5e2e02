import pytest


@pytest.mark.parametrize(
    "url",
    ["/admin/", "/admin/complaints/complaint/", "/admin/complaints/policy/", "/admin/complaints/policy/1/change/",
     "/admin/ratings/blacklistentry/", "/admin/notifications/notification/", "/admin/complaints/mediation/",
     "/admin/accounts/passwordfailure/"],
)
def test_operator_admin_pages_render(client, make_user, url, delivered):
    client.force_login(make_user("operator", is_staff=True, is_superuser=True))
    assert client.get(url).status_code == 200


def test_complaint_change_page_shows_the_timeline(client, make_user, delivered):
    client.force_login(make_user("operator", is_staff=True, is_superuser=True))
    r = client.get(f"/admin/complaints/complaint/{delivered.pk}/change/")
    assert r.status_code == 200 and delivered.number.encode() in r.content


def test_operator_changes_the_policy_in_the_admin(client, make_user):
    from hejie.complaints.models import Policy

    client.force_login(make_user("operator", is_staff=True, is_superuser=True))
    page = client.get("/admin/complaints/policy/1/change/")
    form = page.context["adminform"].form
    data = {k: (v if v is not None else "") for k, v in form.initial.items() if k != "updated_at"}
    import json

    for key in ("score_tiers", "auto_urges", "consumer_reminder_hours"):
        data[key] = json.dumps(data[key])
    data["settle_days"] = 10
    r = client.post("/admin/complaints/policy/1/change/", data)
    assert r.status_code == 302, r.content[:2000]
    assert Policy.objects.get(pk=1).settle_days == 10


@pytest.mark.parametrize(
    ("field", "value"),
    [("score_tiers", "[[10, 9, 10]]"), ("score_tiers", "[[100, 5, 10], [50, 4, 8]]"), ("score_tiers", "[]"),
     ("auto_urges", '[{"after_hours": "x"}]'), ("consumer_reminder_hours", "[144, 72]"), ("settle_days", "0")],
)
def test_the_admin_refuses_a_broken_policy(client, make_user, field, value):
    import json

    from hejie.complaints.models import Policy

    client.force_login(make_user("operator", is_staff=True, is_superuser=True))
    form = client.get("/admin/complaints/policy/1/change/").context["adminform"].form
    data = {k: (v if v is not None else "") for k, v in form.initial.items() if k != "updated_at"}
    for key in ("score_tiers", "auto_urges", "consumer_reminder_hours"):
        data[key] = json.dumps(data[key])
    data[field] = value
    r = client.post("/admin/complaints/policy/1/change/", data)
    assert r.status_code == 200 and field in r.context["adminform"].form.errors
    assert Policy.objects.get(pk=1).settle_days == 14


def test_an_operator_lifts_a_password_lock_from_the_admin(client, make_user, db):
    from hejie.accounts.models import PasswordFailure
    from hejie.accounts.services import password_unlock

    rows = [PasswordFailure.objects.create(username="clerk", ip="10.0.0.1") for _ in range(5)]
    client.force_login(make_user("operator", is_staff=True, is_superuser=True))
    r = client.post("/admin/accounts/passwordfailure/", {"action": "clear", "_selected_action": [p.pk for p in rows]})
    assert r.status_code == 302
    assert PasswordFailure.objects.filter(cleared_at__isnull=True).count() == 0
    assert PasswordFailure.objects.count() == 5  # they still count for the address
    assert password_unlock(username="clerk") == 0
