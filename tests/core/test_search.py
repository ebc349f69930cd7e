"""Title search (core.search): the bigram index answers exactly what icontains answers."""

import datetime as dt

import pytest
from django.db import connection

from tasks.models import Item

pytestmark = pytest.mark.django_db

TITLES = [
    "推进老旧小区绿色化改造",
    "垃圾分类督办事项第12号",
    "垃圾",
    "噪声治理",
    "哈哈哈哈",
    "社区 绿色 出行",
    "Smart Community 智慧安防",
    "smart 停车",
    "物业管理覆盖率≥30%",
    "it's 引号",
    "反斜杠\\路径",
    "🌱 绿色社区",
    "第1号",
    "第12号",
    "第123号",
    "A",
    "",
]
QUERIES = [
    "垃圾",
    "垃圾分类",
    "圾分类督",
    "第12",
    "第12号",
    "哈哈哈",
    "哈哈哈哈哈",
    "区 绿",
    " 绿色",
    "SMART",
    "smart comm",
    "≥30%",
    "it's",
    "斜杠\\",
    "🌱 绿",
    "绿色社区",
    "社区",
    "督办",
    "不存在的词",
    "色",
    "a",
    "号",
]


@pytest.fixture
def items(users):
    for _i, title in enumerate(TITLES):
        Item.objects.create(
            title=title,
            content="c",
            source="ad_hoc",
            due_date=dt.date(2026, 3, 10),
            contribution_due_date=dt.date(2026, 3, 8),
            created_by=users["office"],
        )
    return Item.objects.all()


@pytest.mark.parametrize("query", QUERIES)
def test_text_contains_finds_the_same_items_as_icontains(items, query):
    expected = set(items.filter(title__icontains=query).values_list("title", flat=True))
    assert set(items.filter(title__text_contains=query).values_list("title", flat=True)) == expected


def test_a_changed_title_is_found_by_its_new_words(items):
    item = items.get(title="噪声治理")
    item.title = "施工噪声投诉办理"
    item.save()
    assert list(items.filter(title__text_contains="投诉").values_list("pk", flat=True)) == [item.pk]
    assert not items.filter(title__text_contains="治理").exists()


def test_postgresql_answers_from_the_stored_bigrams(require_postgres, items):
    sql, params = items.filter(title__text_contains="垃圾").query.sql_with_params()
    assert '"title_bigrams" @@ search_bigram_query' in sql
    # one-character and quoted queries keep icontains (same rows, no index)
    assert "LIKE" in str(items.filter(title__text_contains="色").query)
    assert "LIKE" in str(items.filter(title__text_contains="it's").query)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "tasks_item_title_bigrams_idx" in plan
