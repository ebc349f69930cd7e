import pytest
from django.test import Client

ENDPOINTS = ["/api/v1/units/", "/api/v1/roster/", "/api/v1/work-lines/", "/api/v1/reporting-units/"]


@pytest.mark.parametrize("url", ENDPOINTS + ["/api/schema/"])
def test_api_refuses_anonymous(db, url):
    assert Client().get(url).status_code in (401, 403)


def test_roster_api(users, client_for):
    data = client_for(users["liaison_mzt"]).get("/api/v1/roster/?limit=100").json()
    entries = data["results"]
    roles = [e["role"] for e in entries]
    assert roles.count("member") == 14 and roles.count("liaison") == 15 and roles.count("convener") == 1
    assert all(e["mobile"] is None and e["email"] is None for e in entries)
    office = client_for(users["office"]).get("/api/v1/roster/?limit=100").json()["results"]
    assert all(e["mobile"] == "" for e in office)  # known to the office: empty, not invented


def test_work_lines_api_has_joint_leads(users, client_for):
    lines = {w["code"]: w for w in client_for(users["city_guiyang"]).get("/api/v1/work-lines/").json()["results"]}
    assert lines["4a"]["lead_units"] == ["zjt", "gat"] and lines["4a"]["participating_units"] == []
    assert sorted(lines["5c"]["lead_units"]) == ["fgw", "jtt", "mzt"]
    assert lines["1b"]["participating_units"] == ["mzt", "sthjt"]


def test_units_and_reporting_units_api(users, client_for):
    client = client_for(users["convener"])
    units = client.get("/api/v1/units/").json()["results"]
    assert [u["code"] for u in units] == ["zjt", "fgw", "mzt", "gat", "sthjt", "jtt", "scjgj"]
    assert units[0]["is_lead"] and len(units[0]["divisions"]) == 9
    assert client.get("/api/v1/reporting-units/").json()["count"] == 10
    assert client.get("/api/v1/units/999999/").status_code == 404


def test_openapi_schema_is_served(users, client_for):
    response = client_for(users["office"]).get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert "/api/v1/roster/" in schema["paths"]
    assert client_for(users["office"]).get("/api/docs/").status_code == 200
