"""Substring search on short Chinese text (titles), answered from an index on PostgreSQL.

`icontains` becomes `UPPER(col) LIKE '%…%'`, which no B-tree can answer: at 10⁵ items a title search
scanned every row (50–90 ms). pg_trgm needs three characters and most Chinese search words have two
(垃圾, 噪声, 物业); pg_bigm and zhparser, made for Chinese, are not packaged for Debian. So the index
is PostgreSQL's own full-text machinery over character **bigrams with positions**:

    search_bigrams('垃圾分类')           → '垃圾':1 '圾分':2 '分类':3
    search_bigram_query('垃圾分')         → '垃圾' <-> '圾分'

A phrase of consecutive bigrams matches exactly where the text contains the query as a substring,
so the rows are those of `icontains` (tested side by side). The bigrams of a searched column are
stored beside it in a tsvector column kept by a trigger and indexed with GIN; ANALYZE keeps
per-bigram statistics, so the planner knows a common word (walk the due-date index and filter on
the stored vector, which is cheap) from a rare one (read the few matches from the GIN index).

`col__text_contains=q` uses the index on PostgreSQL when `q` has two or more characters and no quote
or backslash (those fall back to `icontains`, as does every query on SQLite): same rows either way.

Maintenance: the stored column lives outside Django's model state (the ORM never reads it). Adding a
searched column means an entry in `STORED` and a migration calling `stored_column_sql`; the
functions are created by `core` migration 0003.
"""

from django.db.models import CharField, Lookup, TextField
from django.db.models.expressions import Col
from django.db.models.lookups import IContains

# Quotes and backslashes are never part of a bigram (they would need escaping in tsquery syntax);
# queries containing them use icontains. PL/pgSQL rather than SQL: ~20 µs a title against ~55 µs
# for a set-returning SQL function (measured on 10⁴ titles).
FUNCTIONS_SQL = r"""
CREATE OR REPLACE FUNCTION search_bigrams(t text) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  s text := upper(coalesce(t, ''));
  parts text[] := '{}';
  b text;
BEGIN
  FOR i IN 1 .. least(char_length(s) - 1, 16383) LOOP
    b := substr(s, i, 2);
    IF strpos(b, '''') = 0 AND strpos(b, E'\\') = 0 THEN
      parts := parts || ('''' || b || ''':' || i);
    END IF;
  END LOOP;
  RETURN array_to_string(parts, ' ')::tsvector;
END $$;
CREATE OR REPLACE FUNCTION search_bigram_query(q text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT string_agg(quote_literal(substr(x.s, i, 2)), ' <-> ' ORDER BY i)::tsquery
  FROM (SELECT upper(q) AS s) AS x, generate_series(1, char_length(x.s) - 1) AS i
$$;
"""
DROP_SQL = "DROP FUNCTION IF EXISTS search_bigram_query(text); DROP FUNCTION IF EXISTS search_bigrams(text);"

# (table, column) → the tsvector column that stores its bigrams (PostgreSQL only).
STORED = {("tasks_item", "title"): "title_bigrams"}


def _names(table, column):
    return STORED[(table, column)], f"{table}_{column}_bigrams_trg"


def stored_column_sql(table: str, column: str) -> list[str]:
    """Add the vector column, keep it with a trigger (not a generated column: that would forbid a
    later ALTER of the searched column's type), fill it, index it, and gather its statistics."""
    vector, fn = _names(table, column)
    return [
        f'ALTER TABLE "{table}" ADD COLUMN IF NOT EXISTS "{vector}" tsvector',
        f'CREATE OR REPLACE FUNCTION "{fn}"() RETURNS trigger LANGUAGE plpgsql AS $$ '
        f'BEGIN NEW."{vector}" := search_bigrams(NEW."{column}"); RETURN NEW; END $$',
        f'DROP TRIGGER IF EXISTS "{fn}" ON "{table}"',
        f'CREATE TRIGGER "{fn}" BEFORE INSERT OR UPDATE OF "{column}" ON "{table}" '
        f'FOR EACH ROW EXECUTE FUNCTION "{fn}"()',
        f'UPDATE "{table}" SET "{vector}" = search_bigrams("{column}")',  # noqa: S608 — names from the code
        # fastupdate off: with GIN's pending list on, every search scanned up to 4 MB of not yet merged
        # entries until a vacuum (17 ms for one title after a bulk load, measured); titles are
        # written rarely, read on every search.
        f'CREATE INDEX IF NOT EXISTS "{table}_{vector}_idx" ON "{table}" USING gin ("{vector}") '
        f"WITH (fastupdate = off)",
        f'ANALYZE "{table}"',
    ]


def drop_stored_column_sql(table: str, column: str) -> list[str]:
    vector, fn = _names(table, column)
    return [
        f'DROP TRIGGER IF EXISTS "{fn}" ON "{table}"',
        f'DROP FUNCTION IF EXISTS "{fn}"()',
        f'ALTER TABLE "{table}" DROP COLUMN IF EXISTS "{vector}"',
    ]


def uses_index(query) -> bool:
    return isinstance(query, str) and len(query) >= 2 and "'" not in query and "\\" not in query


class TextContains(Lookup):
    """`field__text_contains=q`: the rows of `field__icontains=q`, from the bigram index when it can."""

    lookup_name = "text_contains"

    def as_sql(self, compiler, connection):
        if connection.vendor != "postgresql" or not uses_index(self.rhs):
            return IContains(self.lhs, self.rhs).as_sql(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        lhs = self.lhs
        stored = STORED.get((lhs.target.model._meta.db_table, lhs.target.column)) if isinstance(lhs, Col) else None
        if stored:
            vector = f"{compiler.quote_name_unless_alias(lhs.alias)}.{connection.ops.quote_name(stored)}"
            return f"{vector} @@ search_bigram_query({rhs})", rhs_params
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        return f"search_bigrams({lhs_sql}) @@ search_bigram_query({rhs})", (*lhs_params, *rhs_params)


def register() -> None:
    CharField.register_lookup(TextContains)
    TextField.register_lookup(TextContains)
