"""Fixtures of other areas that tests here borrow: the figures that complaints keep for the apps below
them (the clauses cited most, the rate per 10,000 orders a partner reported) are set up with the
standards' and partners' own fixtures."""

from tests.api.conftest import api  # noqa: F401  (the JSON client)
from tests.partners.conftest import make_partner  # noqa: F401
from tests.standards.conftest import operator, publish  # noqa: F401
