"""Every URL parameter each page reads, derived from the code (not kept by hand), so a page
that starts reading a new ``st.query_params`` key is swept for hostile values at once.

A page reads a key when its module (or a function it calls, in any module of
dashboard/views) reads ``st.query_params["key"]``, ``st.query_params.get("key")`` or
``"key" in st.query_params``, or passes ``"key"`` to a helper that reads the parameter its
``param`` argument names (``choose_from_url``, ``pick_by_name``). A read whose key is neither
a literal nor such an argument cannot be followed: ``unresolved_reads`` names it, and the
test of this module fails on it.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VIEWS = ROOT / "dashboard" / "views"
APP = ROOT / "dashboard" / "app.py"


@cache
def _constants() -> dict[str, str]:
    """Module-level string constants of the dashboard (``LANG_PARAM = "lang"``), by name; a
    name two modules give different values is left out (it cannot be followed)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "dashboard").rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            target = node.target if isinstance(node, ast.AnnAssign) else None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
            value = getattr(node, "value", None)
            if (
                isinstance(target, ast.Name)
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str)
            ):
                found.setdefault(target.id, set()).add(value.value)
    return {name: next(iter(values)) for name, values in found.items() if len(values) == 1}


def _literal(key: ast.expr) -> str | None:
    """The key a read names: a string literal, or a module-level string constant."""
    if isinstance(key, ast.Constant) and isinstance(key.value, str):
        return key.value
    if isinstance(key, ast.Name):
        return _constants().get(key.id)
    return None


def _is_query_params(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "query_params"
        and isinstance(node.value, ast.Name)
        and node.value.id == "st"
    )


def _read_keys(node: ast.AST) -> list[ast.expr]:
    """The key expressions of every read of st.query_params under ``node`` (writes excluded)."""
    keys: list[ast.expr] = []
    for sub in ast.walk(node):
        if (
            isinstance(sub, ast.Subscript)
            and _is_query_params(sub.value)
            and isinstance(sub.ctx, ast.Load)
        ):
            keys.append(sub.slice)
        elif (
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Attribute)
            and sub.func.attr in ("get", "get_all")
            and _is_query_params(sub.func.value)
            and sub.args
        ):
            keys.append(sub.args[0])
        elif (
            isinstance(sub, ast.Compare)
            and len(sub.ops) == 1
            and isinstance(sub.ops[0], ast.In | ast.NotIn)
            and _is_query_params(sub.comparators[0])
        ):
            keys.append(sub.left)
    return keys


def _called(node: ast.AST) -> list[ast.Call]:
    return [sub for sub in ast.walk(node) if isinstance(sub, ast.Call)]


def _name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


@cache
def _functions(views: Path = VIEWS) -> dict[str, ast.FunctionDef]:
    found: dict[str, ast.FunctionDef] = {}
    for path in sorted(views.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("test"):
                found[node.name] = node
    return found


def _forwarded(function: ast.FunctionDef, views: Path) -> int | None:
    """The position of the argument whose value a function reads as the key, if any."""
    names = [arg.arg for arg in function.args.args]
    for key in _read_keys(function):
        if isinstance(key, ast.Name) and key.id in names:
            return names.index(key.id)
    for call in _called(function):
        callee = _functions(views).get(_name(call) or "")
        position = None if callee is None or callee is function else _forwarded(callee, views)
        if position is not None and position < len(call.args):
            passed = call.args[position]
            if isinstance(passed, ast.Name) and passed.id in names:
                return names.index(passed.id)
    return None


def _keys(node: ast.AST, views: Path, seen: frozenset[str] = frozenset()) -> set[str]:
    """The literal keys read under ``node``, following calls into dashboard/views."""
    keys = {literal for key in _read_keys(node) if (literal := _literal(key)) is not None}
    for call in _called(node):
        name = _name(call)
        callee = _functions(views).get(name or "")
        if callee is None or name in seen:
            continue
        position = _forwarded(callee, views)
        if position is not None and position < len(call.args):
            literal = _literal(call.args[position])
            if literal is not None:
                keys.add(literal)
        keys |= _keys(callee, views, seen | {str(name)})
    return keys


def page_parameters(page: str, views: Path = VIEWS) -> list[str]:
    """The URL parameters the page file ``page`` (e.g. "metric.py") reads, sorted."""
    return sorted(_keys(ast.parse((views / page).read_text(encoding="utf-8")), views))


def unresolved_reads(views: Path = VIEWS) -> list[str]:
    """Reads of st.query_params whose key this derivation cannot name (file:line)."""
    found = []
    for path in sorted(views.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
        for key in _read_keys(tree):
            if _literal(key) is not None:
                continue
            owner = next(
                (f for f in functions if f.lineno <= key.lineno <= (f.end_lineno or 0)), None
            )
            names = [arg.arg for arg in owner.args.args] if owner else []
            if not (isinstance(key, ast.Name) and key.id in names):
                found.append(f"{path.name}:{key.lineno}")
    return found


def site_pages() -> dict[str, list[str]]:
    """The page files each site serves, read from dashboard/app.py: the files the functions
    that build each site's navigation (_internal_pages, _public_pages) name, directly or
    through the module-level lists they read (INTERNAL_PAGES, COMPARE_PAGE, PUBLIC_PAGES)."""
    tree = ast.parse(APP.read_text(encoding="utf-8"))
    lists: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name):
            lists[target.id] = value
    pages: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in ("_internal_pages", "_public_pages"):
            where = "internal" if node.name == "_internal_pages" else "public"
            names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in lists}
            files = _py_files(node)
            for name in sorted(names, key=list(lists).index):
                files += _py_files(lists[name])
            pages[where] = list(dict.fromkeys(files))
    return pages


def _py_files(node: ast.AST) -> list[str]:
    return [
        sub.value
        for sub in ast.walk(node)
        if isinstance(sub, ast.Constant)
        and isinstance(sub.value, str)
        and sub.value.endswith(".py")
    ]


def url_parameters() -> dict[str, list[tuple[str, list[str]]]]:
    """Per site, every page that reads URL parameters and the parameters it reads."""
    return {
        where: [(page, page_parameters(page)) for page in pages if page_parameters(page)]
        for where, pages in site_pages().items()
    }


# Free text a page only matches and shows escaped (the services search): any value is allowed,
# so a sweep checks it is shown as text rather than named back as unknown.
FREE_TEXT = {"search"}

# Parameters a page reads only once another choice is made, with the parameters that make the
# fixture's page read them; None where the fixture's page cannot read it: the department page
# fixes the index's scope and member (the shared drill-down reads them on the leadership page),
# the compare page is registered only with several cities (CITYSTAT_CITIES), the meetings page
# discusses a metric only once a meeting is scheduled (tests/test_url_more_choices.py sweeps
# those with one), and the metric page offers drafts only once one is saved.
NEEDS: dict[tuple[str, str], dict[str, str] | None] = {
    ("leadership.py", "index_member"): {"index_of": "department"},
    ("department.py", "index_from"): {"department": "streets"},
    ("department.py", "index_to"): {"department": "streets"},
    ("department.py", "index_of"): None,
    ("department.py", "index_member"): None,
    ("compare.py", "grain"): None,
    ("compare.py", "measure"): None,
    ("meetings.py", "discuss"): None,
    ("meetings.py", "discuss_period"): None,
    ("metric.py", "draft"): None,
    ("metric.py", "draft_grain"): None,
}


def sweep_setting(page: str, parameter: str) -> dict[str, str] | None:
    """The other parameters a hostile-value sweep of ``page``'s ``parameter`` sets first so
    the page reads it; None when the fixture's page cannot read it."""
    return NEEDS.get((page, parameter), {})
