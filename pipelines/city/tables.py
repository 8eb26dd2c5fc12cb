"""The city profile as warehouse tables: ``city_profile``, ``departments``, ``districts`` and
``city_sources`` (each source's expected arrival).

Every run publishes the profile it ran with, so the dashboard (which never reads city.yml)
shows department names, district names, populations and boundaries from the warehouse it
reads, and the Compare page can put several cities' warehouses side by side. The tables are
small and rebuilt whole on each run; without a city.yml (a one-file metrics.yml) they are
written empty.

The boundary GeoJSON is read when the run starts (``profile_rows``), before anything is
built, so a missing file or boundaries that do not match the district list stop the run
with the line of city.yml to fix. Features match districts by ``id_property``, as text.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import duckdb

from pipelines.city.model import CityProfile, DistrictLayer
from pipelines.city.paths import SHARED_ROOT, confined, file_root, real_data_dir
from pipelines.config.issues import CityFileError, Issue
from pipelines.config.yaml_lines import Loc, YamlSyntaxError, line_of, parse_yaml
from pipelines.warehouse.layout import CITY_FILE, city_dir
from pipelines.warehouse.rows import insert_rows

PROFILE_TABLES = ("city_profile", "departments", "districts", "city_sources")
# The boundaries' root that names the city's own folder (the model's default).
CITY_ROOT = "city"

PROFILE_DDL = """
CREATE OR REPLACE TABLE city_profile (
    name VARCHAR,
    timezone VARCHAR,
    fiscal_year_start_month INTEGER,
    population_total BIGINT,     -- residents, the base of rates per 1,000 residents
    population_source VARCHAR,
    population_year INTEGER,
    languages VARCHAR[]          -- the public site's languages, the first the default
);
CREATE OR REPLACE TABLE departments (
    id VARCHAR PRIMARY KEY,      -- the id metrics.yml, services.yml and meetings use
    name VARCHAR,                -- the name pages show
    position INTEGER             -- order in city.yml
);
CREATE OR REPLACE TABLE districts (
    id VARCHAR PRIMARY KEY,      -- as the extracts write it (the dimension's value)
    name VARCHAR,
    population BIGINT,
    population_source VARCHAR,
    population_year INTEGER,
    geometry VARCHAR,            -- GeoJSON geometry of the district's boundary feature
    dimension VARCHAR,           -- the metric_values dimension the districts are in
    label VARCHAR,               -- the layer's name, e.g. 'Council district'
    position INTEGER,            -- order in city.yml
    equal_population BOOLEAN     -- the layer is drawn to equal population (NULL: not known)
);
CREATE OR REPLACE TABLE city_sources (
    source VARCHAR PRIMARY KEY,  -- the mapping's name, as load_files and the records say it
    title VARCHAR,               -- the mapping's title, what pages call the source
    expected_every VARCHAR,      -- how often data should arrive ('1 day'); NULL: an archive
    grace VARCHAR,               -- slack before it counts as late ('1 day')
    position INTEGER,            -- order in city.yml
    last_record_utc TIMESTAMP    -- UTC instant of the newest record time the source holds
                                 -- (pipelines.run.arrivals.record_arrivals)
);
"""


@dataclass(frozen=True)
class ProfileRows:
    """The rows the three profile tables get (empty lists without a city.yml)."""

    city: list[tuple[Any, ...]] = field(default_factory=list)
    departments: list[tuple[Any, ...]] = field(default_factory=list)
    districts: list[tuple[Any, ...]] = field(default_factory=list)
    sources: list[tuple[Any, ...]] = field(default_factory=list)

    @property
    def zone(self) -> str | None:
        """The city's time zone (city.yml ``timezone``); None without a city.yml."""
        return str(self.city[0][1]) if self.city else None


def profile_rows(
    profile: CityProfile | None,
    folder: Path | None = None,
    titles: dict[str, str] | None = None,
) -> ProfileRows:
    """The profile tables' rows, boundaries read from their GeoJSON; CityFileError if bad.

    ``folder`` is the city's folder (default: the current city), where city.yml's lines are
    looked up for an error; ``titles``: each source mapping's title, by source name.
    """
    if profile is None:
        return ProfileRows()
    city_file = (folder or city_dir()) / CITY_FILE
    population = profile.population
    city = [
        (
            profile.name,
            profile.timezone,
            profile.fiscal_year_start_month,
            *(
                (population.total, population.source, population.year)
                if population is not None
                else (None, None, None)
            ),
            list(profile.languages),
        )
    ]
    departments = [(d.id, d.name, index) for index, d in enumerate(profile.departments)]
    layer = profile.districts
    districts = [] if layer is None else _district_rows(layer, city_file)
    sources = [
        (s.name, (titles or {}).get(s.name, s.name), s.expected_every, s.grace, index, None)
        for index, s in enumerate(profile.sources)
    ]
    return ProfileRows(city, departments, districts, sources)


_INSERTS = (
    "INSERT INTO city_profile",
    "INSERT INTO departments",
    "INSERT INTO districts",
    "INSERT INTO city_sources",
)


def write_profile_tables(con: duckdb.DuckDBPyConnection, rows: ProfileRows) -> None:
    """Replace the profile tables with ``rows`` (one statement per table)."""
    con.execute(PROFILE_DDL)
    tables = (rows.city, rows.departments, rows.districts, rows.sources)
    for sql, values in zip(_INSERTS, tables, strict=True):
        insert_rows(con, sql, values)


def _district_rows(layer: DistrictLayer, city_file: Path) -> list[tuple[Any, ...]]:
    geometries = _boundaries(layer, city_file) if layer.boundaries is not None else {}
    source = layer.population.source if layer.population is not None else None
    year = layer.population.year if layer.population is not None else None
    return [
        (
            d.id,
            d.name,
            d.population,
            source if d.population is not None else None,
            year if d.population is not None else None,
            geometries.get(d.id),
            layer.dimension,
            layer.label,
            index,
            layer.equal_population,
        )
        for index, d in enumerate(layer.districts)
    ]


# Every feature of a FeatureCollection: its id property as text and its geometry as GeoJSON.
# 'unstructured' reads the file as the one object it is (the default format would take a
# FeatureCollection's features apart, in no fixed order).
_FEATURES_SQL = """
WITH collection AS (
    SELECT json FROM read_json_objects($path, format = 'unstructured',
                                       maximum_object_size = 268435456)
),
features AS (
    SELECT unnest(json_extract(json, '$.features[*]')) AS feature FROM collection
)
SELECT feature -> 'properties' ->> $property AS id, (feature -> 'geometry')::VARCHAR AS geometry
FROM features
"""


def _boundaries(layer: DistrictLayer, city_file: Path) -> dict[str, str]:
    """District id -> GeoJSON geometry, after checking the file matches the district list."""
    boundaries = layer.boundaries
    assert boundaries is not None
    at = ("districts", "boundaries")
    if boundaries.root == SHARED_ROOT and not real_data_dir().is_dir():
        # The shared real extracts are a checkout beside the project, absent on a fresh
        # machine: the demo still builds, and its pages draw no district map.
        return {}
    path = _boundary_path(boundaries.root, boundaries.path, city_file)
    if path is None or not path.is_file():
        shown = path if path is not None else boundaries.path
        _fail(
            city_file,
            (*at, "path"),
            f"district boundaries {shown} not found",
            f"put the GeoJSON at {boundaries.path!r} under root {boundaries.root!r}, or fix "
            "'boundaries:' (root: city for this folder, real for ../shared/data/real)",
        )
    try:
        with duckdb.connect() as con:
            features = con.execute(
                _FEATURES_SQL, {"path": str(path), "property": boundaries.id_property}
            ).fetchall()
    except duckdb.Error as exc:
        _fail(
            city_file,
            (*at, "path"),
            f"district boundaries {path} cannot be read as GeoJSON: {exc}",
            "point 'boundaries.path' at a GeoJSON FeatureCollection",
        )
    return _match(layer, dict(_unique(features, path, city_file, layer)), path, city_file)


def _boundary_path(root: str, relative: str, city_file: Path) -> Path | None:
    """The boundary file: under the city's folder (root 'city') or a named root."""
    folder = city_file.parent if root == CITY_ROOT else _named_root(root, city_file)
    return (folder / relative) if confined(folder, relative) else None


def _named_root(root: str, city_file: Path) -> Path:
    try:
        return file_root(root)
    except ValueError as exc:
        _fail(city_file, ("districts", "boundaries", "root"), str(exc), "use city, real or data")


def _unique(
    features: list[tuple[str | None, str | None]], path: Path, city_file: Path, layer: DistrictLayer
) -> list[tuple[str, str]]:
    """The features with an id and a geometry; a FeatureCollection with none, or an id twice,
    is an error."""
    assert layer.boundaries is not None
    prop = layer.boundaries.id_property
    usable = [(str(i), g) for i, g in features if i is not None and g is not None]
    where = ("districts", "boundaries", "id_property")
    if not usable:
        _fail(
            city_file,
            where,
            f"no feature of {path} has the property {prop!r} and a geometry",
            "set 'id_property' to the feature property holding the district id",
        )
    twice = sorted((i for i, n in Counter(i for i, _ in usable).items() if n > 1), key=_natural)
    if twice:
        _fail(
            city_file,
            where,
            f"{path} has more than one feature with {prop} = {', '.join(twice)}",
            f"pick an 'id_property' that is unique per district (now {prop!r})",
        )
    return usable


def _match(
    layer: DistrictLayer, geometries: dict[str, str], path: Path, city_file: Path
) -> dict[str, str]:
    """The geometries of the listed districts; every district needs one, every feature a
    district, or the run stops at the line to fix."""
    assert layer.boundaries is not None
    prop = layer.boundaries.id_property
    listed = [d.id for d in layer.districts]
    missing = [(index, d) for index, d in enumerate(listed) if d not in geometries]
    extra = sorted(set(geometries) - set(listed), key=_natural)
    issues = [
        _issue(
            city_file,
            ("districts", "districts", index, "id"),
            f"district {district!r} has no boundary in {path.name} (no feature with "
            f"{prop} = {district!r}; its features have {_sample(geometries)})",
            "write the id as the boundary file does, or set 'boundaries.id_property'",
        )
        for index, district in missing
    ]
    if extra:
        issues.append(
            _issue(
                city_file,
                ("districts", "districts"),
                f"{path.name} has boundaries for districts the list lacks: "
                + ", ".join(repr(e) for e in extra),
                "list every district of the boundary file (ids as text), or use the file of "
                "this district map",
            )
        )
    if issues:
        raise CityFileError(issues)
    return geometries


def _sample(geometries: dict[str, str]) -> str:
    ids = sorted(geometries, key=_natural)
    shown = ", ".join(repr(i) for i in ids[:5])
    return shown + (f" … ({len(ids)} in all)" if len(ids) > 5 else "")


def _natural(text: str) -> tuple[int, int | str]:
    return (0, int(text)) if text.isdigit() else (1, text)


def _issue(city_file: Path, loc: Loc, message: str, hint: str) -> Issue:
    return Issue(CITY_FILE, _line(city_file, loc), message, hint)


def _fail(city_file: Path, loc: Loc, message: str, hint: str) -> NoReturn:
    raise CityFileError([_issue(city_file, loc, message, hint)])


def _line(city_file: Path, loc: Loc) -> int:
    """The line of ``loc`` in city.yml (0 when the file cannot be read again)."""
    try:
        return line_of(parse_yaml(city_file.read_text(encoding="utf-8"), CITY_FILE), loc)
    except (OSError, YamlSyntaxError):
        return 0
