import pytest
from django.urls import reverse

from hejie.accounts import services
from hejie.accounts.models import ApiToken, OneTimeCode


@pytest.fixture
def operator_client(client, make_user):
    op = make_user("operator", is_staff=True, is_superuser=True)
    client.force_login(op)
    return client


def test_admin_pages_render(operator_client, consumer, staff, send_code):
    services.token_create(user=consumer)
    send_code()
    token, otp = ApiToken.objects.get(), OneTimeCode.objects.get()
    urls = [
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_user_changelist") + "?role__exact=business",
        reverse("admin:accounts_user_change", args=[staff.pk]),
        reverse("admin:accounts_user_add"),
        reverse("admin:accounts_apitoken_changelist"),
        reverse("admin:accounts_apitoken_change", args=[token.pk]),
        reverse("admin:accounts_onetimecode_changelist"),
        reverse("admin:accounts_onetimecode_change", args=[otp.pk]),
    ]
    for url in urls:
        assert operator_client.get(url).status_code == 200, url
    page = operator_client.get(reverse("admin:accounts_user_change", args=[staff.pk])).content.decode()
    assert 'name="role"' in page and 'name="business"' in page and 'name="region"' in page


def test_admin_cannot_add_tokens_or_codes_or_edit_hashes(operator_client, consumer, send_code):
    services.token_create(user=consumer)
    send_code()
    assert operator_client.get(reverse("admin:accounts_apitoken_add")).status_code == 403
    assert operator_client.get(reverse("admin:accounts_onetimecode_add")).status_code == 403
    token = ApiToken.objects.get()
    page = operator_client.get(reverse("admin:accounts_apitoken_change", args=[token.pk])).content.decode()
    assert 'name="key_hash"' not in page and token.key_hash in page  # shown, not editable
    otp = OneTimeCode.objects.get()
    page = operator_client.get(reverse("admin:accounts_onetimecode_change", args=[otp.pk])).content.decode()
    assert 'name="code_hash"' not in page and 'name="attempts"' not in page


def test_admin_revoke_action(operator_client, consumer):
    raw = services.token_create(user=consumer)
    token = ApiToken.objects.get()
    response = operator_client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    assert services.token_authenticate(raw) is None
