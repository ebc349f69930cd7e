import pytest

from communities.models import Community, CreationStatus
from communities.services import community_create, community_join
from members.models import ReportingUnit

ALL_MET = {f"item_{n}": True for n in range(1, 17)}
ZJ_PERFECT = {"trainings_per_year": 2, "property_management_coverage": "30", "heritage": "protected"}


@pytest.fixture
def guiyang(mechanism):
    return ReportingUnit.objects.get(code="guiyang")


@pytest.fixture
def zunyi(mechanism):
    return ReportingUnit.objects.get(code="zunyi")


@pytest.fixture
def gy_community(users, guiyang):
    """A Guiyang community taking part in the creation action."""
    c = community_create(
        reporting_unit=guiyang,
        name="中华南路社区",
        county="云岩区",
        renovation="finished",
        old_estates="中华南路小区",
        by=users["city_guiyang"],
    )
    return community_join(community=c, by=users["city_guiyang"])


@pytest.fixture
def zy_community(users, zunyi):
    c = community_create(reporting_unit=zunyi, name="丁字口社区", county="红花岗区", by=users["city_zunyi"])
    return community_join(community=c, by=users["city_zunyi"])


def bulk_communities(unit, n, *, met_on=None, prefix="社区", county="", renovation="none"):
    Community.objects.bulk_create(
        [
            Community(
                reporting_unit=unit,
                name=f"{prefix}{i}",
                county=county,
                renovation=renovation,
                status=CreationStatus.MEETS_STANDARD if met_on else CreationStatus.NOT_STARTED,
                standard_met_on=met_on,
            )
            for i in range(n)
        ]
    )


@pytest.fixture
def city2(users, guiyang):
    """A second person of the Guiyang bureau: reviews what `city_guiyang` filled in (separation of duties)."""
    from members.services import account_create
    from tests.conftest import PASSWORD

    return account_create(username="city_guiyang_2", password=PASSWORD, reporting_unit=guiyang)
