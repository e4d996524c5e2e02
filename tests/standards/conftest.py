import pytest

from tests.api.conftest import Api


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def operator(make_user):
    return make_user("operator")


@pytest.fixture
def admin_staff(make_user, business):
    return make_user("business", business=business, is_business_admin=True)


@pytest.fixture
def publish(operator):
    """``publish("catering", {"3.2": "..."}, title=...)``: a standard with v1 in force."""
    from hejie.standards import services

    def make(industry="catering", clauses=None, *, title=None, standard=None):
        if standard is None:
            standard = services.standard_create(actor=operator, industry=industry,
                                                title=title or f"{industry} 服务规范", publisher_name="行业协会")
        version = services.version_draft(actor=operator, standard=standard)
        for number, text in (clauses or {"1": "明码标价。", "3.2": "出现异物的菜品，全额退款。"}).items():
            services.clause_set(actor=operator, standard=standard, version=version.version, number=number,
                                text=text)
        services.version_publish(actor=operator, standard=standard, version=version.version)
        return standard

    return make


def clause(standard, number, version=None):
    from hejie.standards.models import StandardClause

    qs = StandardClause.objects.filter(version__standard=standard, number=number)
    if version is None:
        return qs.get(version__status="published")
    return qs.get(version__version=version)
