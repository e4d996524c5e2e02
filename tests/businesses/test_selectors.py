import pytest

from hejie.businesses.selectors import business_get, business_search, businesses_visible_to
from hejie.businesses.services import business_apply
from hejie.core.errors import InvalidInput, NotFound
from tests.conftest import make_credit_code


@pytest.fixture
def shops(make_business, make_user):
    """Three active businesses through the real service (so initials are real),
    one still applying."""
    operator = make_user("operator")
    from hejie.businesses.services import business_approve

    made = {}
    for key, name, region, industry in [
        ("reganmian", "武汉热干面馆", "420102", "catering"),
        ("hotel", "汉口江滩酒店", "420102", "lodging"),
        ("yichang", "宜昌三峡面馆", "420502", "catering"),
        ("applied", "武汉新开面馆", "420106", "catering"),
    ]:
        b = business_apply(
            applicant=None, name=name, credit_code=make_credit_code(), industry=industry, region_code=region
        )
        if key != "applied":
            b = business_approve(actor=operator, business=b)
        made[key] = b
    return made


def _names(results):
    return sorted(b.name for b in results)


def test_search_by_part_of_the_name(shops):
    assert _names(business_search(q="热干")) == ["武汉热干面馆"]
    assert _names(business_search(q="面馆")) == ["宜昌三峡面馆", "武汉热干面馆"]  # the applying one is not active


def test_search_by_pinyin_initials_any_case(shops):
    assert _names(business_search(q="whrg")) == ["武汉热干面馆"]
    assert _names(business_search(q="WHRGMG")) == ["武汉热干面馆"]
    assert _names(business_search(q="hk")) == ["汉口江滩酒店"]
    assert business_search(q="rgm") == []  # initials match from the start only


def test_search_by_region_subtree(shops):
    assert _names(business_search(region_code="420100")) == ["武汉热干面馆", "汉口江滩酒店"]
    assert _names(business_search(region_code="420000")) == ["宜昌三峡面馆", "武汉热干面馆", "汉口江滩酒店"]
    assert _names(business_search(region_code="420500")) == ["宜昌三峡面馆"]
    assert _names(business_search(region_code="420102", q="mg")) == []
    assert _names(business_search(region_code="420102", q="面馆")) == ["武汉热干面馆"]
    with pytest.raises(InvalidInput):
        business_search(region_code="999999")


def test_search_by_industry_status_and_limit(shops):
    assert _names(business_search(industry="lodging")) == ["汉口江滩酒店"]
    assert business_search(industry="nothing") == []
    assert _names(business_search(q="面馆", status="applied")) == ["武汉新开面馆"]
    assert len(business_search(status=None)) == 4
    assert len(business_search(limit=2)) == 2


def test_search_is_one_query(shops, django_assert_num_queries):
    with django_assert_num_queries(1):
        results = business_search(q="面")
        [(b.industry.name, b.region.full_name) for b in results]


def test_business_get(business):
    assert business_get(business.pk) == business
    assert business_get(str(business.pk)) == business
    for missing in (business.pk + 1000, "abc", None, 2**70):
        with pytest.raises(NotFound):
            business_get(missing)


def test_businesses_visible_to(make_business, make_user):
    wuhan_biz = make_business(region="420102")
    applied = make_business(region="420106", status="applied")
    yichang_biz = make_business(region="420502")

    def visible(user):
        return set(businesses_visible_to(user))

    assert visible(make_user("council", region="420100")) == {wuhan_biz, applied}
    assert visible(make_user("council", region="420000")) == {wuhan_biz, applied, yichang_biz}
    assert visible(make_user("council", region="420502")) == {yichang_biz}
    assert visible(make_user("business", business=applied)) == {applied}
    assert visible(make_user("operator")) == {wuhan_biz, applied, yichang_biz}
    assert visible(make_user("consumer")) == {wuhan_biz, yichang_biz}
    assert visible(None) == {wuhan_biz, yichang_biz}
    assert visible(make_user("council", region="420100", is_active=False)) == set()
