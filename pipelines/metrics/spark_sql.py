"""Metric SQL for Apache Spark: the DuckDB SQL the compiler writes, transpiled with SQLGlot.

The compiler writes each metric once, in DuckDB's dialect; ``to_spark`` parses it with SQLGlot
and writes Spark SQL. SQLGlot translates most of it (named parameters ``$x`` become ``:x``,
``SEMI JOIN`` becomes ``LEFT SEMI JOIN``, ``quantile_cont`` becomes ``percentile_cont … WITHIN
GROUP``, which interpolates linearly between the two nearest values exactly as DuckDB does).
Where Spark has no equivalent SQLGlot knows, a rewrite here emits one, and the emitted SQL says
so in a comment at its top. Pure functions: nothing here touches a database or imports Spark.

The Spark session must run in UTC (``SPARK_SESSION_CONF``): the warehouse keeps timestamps as
the city's wall-clock time without a zone (Parquet ``TIMESTAMP_NTZ``), which DuckDB truncates
and subtracts as written; a UTC session makes Spark's conversions of such values the identity.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import partial

import sqlglot
from sqlglot import exp

# Settings the emitted SQL relies on (see the module's docstring).
SPARK_SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
    "spark.sql.ansi.enabled": "false",
}

ISO_WEEK_LABEL = "%G-W%V"
# A rewrite returns the node's Spark equivalent, or None to leave the node as it is.
Rewrite = Callable[[exp.Expression], exp.Expression | None]

_NOTES = {
    "by_name": (
        "UNION ALL BY NAME (DuckDB) -> UNION ALL with every branch's columns in the first "
        "branch's order, NULL where a branch lacks one (Spark SQL has no BY NAME)"
    ),
    "iso_week": (
        "strftime(d, '%G-W%V') (DuckDB) -> extract(YEAROFWEEK) and weekofyear (Spark's "
        "date_format has no week-based patterns)"
    ),
    "having": (
        "HAVING over GROUPING SETS naming grouped columns (DuckDB) -> the same condition as a "
        "WHERE around the aggregate, which carries those columns under hidden names (Spark "
        "resolves such a HAVING only against the SELECT list)"
    ),
    "generator": (
        "CAST(unnest(list) AS t) (DuckDB) -> explode(transform(list, element -> CAST(element "
        "AS t))) (Spark allows no generator inside an expression)"
    ),
    "to_days": "to_days(n) (DuckDB) -> make_dt_interval(n) (an interval of n days)",
    "nested_ctes": (
        "nested WITH (DuckDB) -> one top-level WITH, each nested CTE prefixed with the CTE "
        "it belongs to, so two scopes' names cannot collide"
    ),
    "percentile": (
        "quantile_cont(x, p) (DuckDB) -> percentile(x, p): the same linear interpolation "
        "between the two nearest values"
    ),
    "unordered": (
        "avg(x ORDER BY y) (DuckDB: a sum in a fixed order, so two runs agree to the last "
        "bit) -> avg(x) (Spark has no ordered aggregate; the values agree within rounding)"
    ),
    "materialized": (
        "a CTE read more than once -> the same CTE under a filter no row fails, "
        "RAND() >= 0 (Spark inlines a deterministic CTE into every place that reads it and "
        "computes it that many times; a non-deterministic one it computes once and reuses)"
    ),
    "epoch": (
        "epoch(ts) (DuckDB, seconds with their fraction) -> unix_micros(ts) / 1e6 (Spark's "
        "unix_timestamp drops the fraction)"
    ),
}


class SparkTranslationError(ValueError):
    """The DuckDB SQL uses something this translation cannot rewrite for Spark."""


def to_spark(duckdb_sql: str) -> str:
    """The Spark SQL equivalent of one query the metric compiler wrote for DuckDB."""
    tree = sqlglot.parse_one(duckdb_sql, read="duckdb")
    used: list[str] = []
    if _scope_nested_ctes(tree):
        used.append("nested_ctes")
    # A BY NAME branch reading ``SELECT * FROM cte`` has the CTE's named columns.
    by_name: Rewrite = partial(_union_by_name, ctes=_cte_columns(tree))
    for name, rewrite in (("by_name", by_name), *_REWRITES):
        tree = tree.transform(_noting(rewrite, name, used))
    if _materialize_repeated(tree):
        used.append("materialized")
    body = tree.sql(dialect="spark", pretty=True)
    notes = [f"-- Spark equivalent: {_NOTES[name]}" for name in dict.fromkeys(used)]
    header = ["-- Spark SQL transpiled from the DuckDB SQL with SQLGlot", *notes]
    return "\n".join(header) + "\n" + body


def _noting(
    rewrite: Rewrite, name: str, used: list[str]
) -> Callable[[exp.Expression], exp.Expression]:
    def apply(node: exp.Expression) -> exp.Expression:
        replaced = rewrite(node)
        if replaced is None:
            return node
        used.append(name)
        return replaced

    return apply


def _scope_nested_ctes(tree: exp.Expression) -> bool:
    """Prefix each nested CTE with the CTE it is defined in (``numerator_values__grouped``).

    SQLGlot writes Spark's CTEs at the top level, where two scopes' ``grouped`` would collide;
    the deepest are renamed first, so every name stays unique and every reference follows.
    """
    renamed = False
    for outer in reversed(list(tree.find_all(exp.CTE))):
        body = outer.this
        inner_with = body.args.get("with_") if isinstance(body, exp.Expression) else None
        if inner_with is None:
            continue
        names = {
            cte.alias_or_name: f"{outer.alias_or_name}__{cte.alias_or_name}"
            for cte in inner_with.expressions
        }
        for cte in inner_with.expressions:
            cte.set("alias", exp.TableAlias(this=exp.to_identifier(names[cte.alias_or_name])))
        for table in body.find_all(exp.Table):
            if not table.args.get("db") and table.name in names:
                alias = table.alias_or_name if table.args.get("alias") else table.name
                table.set("this", exp.to_identifier(names[table.name]))
                table.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
        renamed = True
    return renamed


def _materialize_repeated(tree: exp.Expression) -> bool:
    """Wrap each CTE read more than once in a filter that keeps every row but is not
    deterministic, so Spark computes it once and reuses it (its optimizer inlines every
    deterministic CTE into each place that reads it, and a backlog reads its grouped
    changes six times); True if any was."""
    ctes = list(tree.find_all(exp.CTE))
    names = {cte.alias_or_name for cte in ctes}
    reads = Counter(
        table.name
        for table in tree.find_all(exp.Table)
        if not table.args.get("db") and table.name in names
    )
    repeated = [cte for cte in ctes if reads[cte.alias_or_name] > 1]
    for cte in repeated:
        body = cte.this.copy().subquery("computed_once")
        cte.set("this", exp.select("*").from_(body).where("RAND() >= 0"))
    return bool(repeated)


def _cte_columns(tree: exp.Expression) -> dict[str, list[str]]:
    columns: dict[str, list[str]] = {}
    for cte in tree.find_all(exp.CTE):
        body = cte.this
        if isinstance(body, exp.Select):
            names = [p.alias_or_name for p in body.expressions]
            if all(names) and not any(isinstance(p, exp.Star) for p in body.expressions):
                columns[cte.alias_or_name] = names
    return columns


def _union_by_name(node: exp.Expression, ctes: dict[str, list[str]]) -> exp.Expression | None:
    """A BY NAME union as a positional one: each branch's columns put in the first's order."""
    if not isinstance(node, exp.Union) or not node.args.get("by_name"):
        return None
    branches = _flatten_union(node)
    names_of = [_output_names(branch, ctes) for branch in branches]
    order = list(dict.fromkeys(name for names in names_of for name in names))
    aligned = [
        _aligned(branch, names, order) for branch, names in zip(branches, names_of, strict=True)
    ]
    result: exp.Expression = aligned[0]
    for branch in aligned[1:]:
        result = exp.Union(this=result, expression=branch, distinct=False)
    # The union's own WITH, ORDER BY and LIMIT stay with it.
    for key in ("with_", "order", "limit", "offset"):
        if node.args.get(key) is not None:
            result.set(key, node.args[key])
    return result


def _flatten_union(node: exp.Expression) -> list[exp.Select]:
    if isinstance(node, exp.Union) and node.args.get("by_name"):
        return [*_flatten_union(node.this), *_flatten_union(node.expression)]
    if isinstance(node, exp.Subquery):
        return _flatten_union(node.this)
    if not isinstance(node, exp.Select):
        raise SparkTranslationError(f"a BY NAME union of something other than SELECTs: {node}")
    return [node]


def _output_names(select: exp.Select, ctes: dict[str, list[str]]) -> list[str]:
    source = select.args.get("from_")
    if (
        len(select.expressions) == 1
        and isinstance(select.expressions[0], exp.Star)
        and source is not None
        and isinstance(source.this, exp.Table)
        and not select.args.get("joins")
        and source.this.name in ctes
    ):
        return ctes[source.this.name]
    names = []
    for projection in select.expressions:
        if isinstance(projection, exp.Star) or (
            isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
        ):
            raise SparkTranslationError(
                "a BY NAME union over '*' needs its columns named for Spark: compile the "
                "metric with explicit columns"
            )
        if not projection.alias_or_name:
            raise SparkTranslationError(f"a BY NAME union's column has no name: {projection}")
        names.append(projection.alias_or_name)
    return names


def _aligned(select: exp.Select, names: list[str], order: list[str]) -> exp.Select:
    star = len(select.expressions) == 1 and isinstance(select.expressions[0], exp.Star)
    expressions = [exp.column(n, quoted=True) for n in names] if star else select.expressions
    by_name = dict(zip(names, expressions, strict=True))
    projections = [by_name.get(name, exp.alias_(exp.Null(), name, quoted=True)) for name in order]
    return select.select(*projections, append=False)


def _iso_week_label(node: exp.Expression) -> exp.Expression | None:
    """strftime(d, '%G-W%V') as ISO year, '-W' and the two-digit ISO week."""
    if not isinstance(node, exp.TimeToStr):
        return None
    fmt = node.args.get("format")
    if not isinstance(fmt, exp.Literal) or fmt.this != ISO_WEEK_LABEL:
        return None
    text = node.this.sql(dialect="spark")
    year = f"CAST(EXTRACT(YEAROFWEEK FROM {text}) AS STRING)"
    week = f"LPAD(CAST(WEEKOFYEAR({text}) AS STRING), 2, '0')"
    return sqlglot.parse_one(f"{year} || '-W' || {week}", read="spark")


def _grouping_sets_having(node: exp.Expression) -> exp.Expression | None:
    """A HAVING over GROUPING SETS as a WHERE around the aggregate, with what it reads."""
    if not isinstance(node, exp.Select):
        return None
    group = node.args.get("group")
    having = node.args.get("having")
    if group is None or having is None or not group.args.get("grouping_sets"):
        return None
    hidden: dict[str, exp.Expression] = {}

    def carried(part: exp.Expression) -> exp.Expression:
        if isinstance(part, (exp.Grouping, exp.Column)):
            name = f"_having_{len(hidden) + 1}"
            hidden[name] = part.copy()
            return exp.column(name, quoted=True)
        return part

    condition = having.this.copy().transform(carried)
    names = [projection.alias_or_name for projection in node.expressions]
    inner = node.copy()
    inner.set("having", None)
    inner = inner.select(
        *(exp.alias_(expression, name, quoted=True) for name, expression in hidden.items())
    )
    return (
        exp.select(*(exp.column(name, quoted=True) for name in names))
        .from_(inner.subquery("aggregated"))
        .where(condition)
    )


def _cast_generator(node: exp.Expression) -> exp.Expression | None:
    """CAST(EXPLODE(list) AS t) as EXPLODE(TRANSFORM(list, v -> CAST(v AS t)))."""
    if not isinstance(node, exp.Cast) or not isinstance(node.this, (exp.Explode, exp.Unnest)):
        return None
    generator = node.this
    items = generator.this if isinstance(generator, exp.Explode) else generator.expressions[0]
    element = exp.to_identifier("element")
    cast = exp.Cast(this=exp.column("element"), to=node.args["to"].copy())
    mapped = exp.Transform(
        this=items.copy(), expression=exp.Lambda(this=cast, expressions=[element])
    )
    return exp.Explode(this=mapped)


def _to_days(node: exp.Expression) -> exp.Expression | None:
    """to_days(n), an interval of n days, as make_dt_interval(n)."""
    if not isinstance(node, exp.ToDays):
        return None
    return exp.Anonymous(this="MAKE_DT_INTERVAL", expressions=[node.this.copy()])


def _percentile(node: exp.Expression) -> exp.Expression | None:
    """quantile_cont(x, p) as percentile(x, p): both interpolate linearly between the two
    nearest values, and Spark's percentile_cont takes its fraction in another form."""
    if not isinstance(node, exp.PercentileCont) or node.args.get("expression") is None:
        return None
    return exp.Anonymous(
        this="PERCENTILE", expressions=[node.this.copy(), node.args["expression"].copy()]
    )


def _epoch(node: exp.Expression) -> exp.Expression | None:
    """epoch(ts) in seconds with their fraction, as DuckDB gives it."""
    if not isinstance(node, exp.TimeToUnix):
        return None
    micros = exp.Anonymous(this="UNIX_MICROS", expressions=[exp.cast(node.this, "TIMESTAMP")])
    return exp.Div(this=micros, expression=exp.Literal.number("1000000.0"))


def _unordered(node: exp.Expression) -> exp.Expression | None:
    """An aggregate over ordered input, such as avg(x ORDER BY y), as the plain aggregate."""
    if not isinstance(node, exp.AggFunc) or not isinstance(node.this, exp.Order):
        return None
    plain = node.copy()
    plain.set("this", node.this.this.copy())
    return plain


_REWRITES: tuple[tuple[str, Rewrite], ...] = (
    ("unordered", _unordered),
    ("having", _grouping_sets_having),
    ("generator", _cast_generator),
    ("iso_week", _iso_week_label),
    ("to_days", _to_days),
    ("percentile", _percentile),
    ("epoch", _epoch),
)
