import pytest

from deadlines import calendar
from members.mechanism_config import mechanism_path, mechanism_spec_read
from members.models import Mechanism
from members.services import mechanism_load


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    # Office-entered days are cached per process; a rolled-back test must not leak them.
    calendar.cache_clear()
    yield
    calendar.cache_clear()


@pytest.fixture
def zhejiang(db):
    mechanism_load(spec=mechanism_spec_read(mechanism_path("zhejiang")))
    return Mechanism.objects.get(code="zhejiang")
