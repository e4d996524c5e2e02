import pytest

from tests.api.conftest import api  # noqa: F401  (the JSON client fixture)

HEADER = "name,credit_code,industry,region_code,address,contact_name,contact_phone,stores,order_volume\n"


def csv_bytes(rows, *, header=HEADER, encoding="utf-8"):
    return (header + "".join(",".join(str(c) for c in r) + "\n" for r in rows)).encode(encoding)


@pytest.fixture
def make_partner(db):
    from hejie.partners.models import Partner
    from hejie.regions.models import Region

    def make(name="美食外卖平台", *, status="active", onboard_status="applied", kind="platform", region="420000"):
        return Partner.objects.create(name=name, kind=kind, region=Region.objects.get(code=region), status=status,
                                      onboard_status=onboard_status)

    return make


@pytest.fixture
def partner(make_partner):
    return make_partner()


@pytest.fixture
def partner_staff(make_user, partner):
    return make_user("partner", partner=partner)
