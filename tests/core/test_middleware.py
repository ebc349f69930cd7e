"""Guards every request passes (core.middleware)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/items/inbox/?q=a%00b", "/items/queue/?unit=%00", "/communities/?q=%00",
                                 "/api/v1/tasks/?cursor=%00"])
def test_a_nul_byte_in_the_query_string_is_refused_with_a_chinese_message(users, client_for, url):
    response = client_for(users["office"]).get(url)
    assert response.status_code == 400
    assert "无效字符" in response.content.decode()
