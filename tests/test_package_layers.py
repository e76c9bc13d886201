"""The package layout holds: pure rules stay pure, and no two domain packages import each other."""

import ast
from collections import defaultdict
from pathlib import Path

MATCHER = Path(__file__).resolve().parent.parent / "matcher"
DOMAIN = (
    "iso",
    "matching",
    "accounts",
    "businesses",
    "providers",
    "quotes",
    "candidates",
    "leads",
    "vetting",
    "demo",
    "web",
)
# Only the ISO tables and the matcher's rules are promised to run without an app.
PURE = ("iso", "matching")
IMPURE_ROOTS = {"flask", "flask_login", "flask_wtf", "sqlalchemy", "sqlmodel", "redis", "rq"}


def _imports(path: Path) -> set[str]:
    """Every module a file imports, lazily inside functions too."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            if node.module == "matcher":
                found.update(f"matcher.{alias.name}" for alias in node.names)
    return found


def _package_edges() -> dict[str, dict[str, list[str]]]:
    edges: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for package in DOMAIN:
        for path in (MATCHER / package).rglob("*.py"):
            for module in _imports(path):
                parts = module.split(".")
                inner = parts[1] if parts[0] == "matcher" and len(parts) > 1 else None
                if inner in DOMAIN and inner != package:
                    edges[package][inner].append(f"{path.name} imports {module}")
    return edges


def test_the_iso_rules_and_the_matcher_import_neither_flask_nor_a_database():
    offenders = []
    for package in PURE:
        for path in (MATCHER / package).rglob("*.py"):
            for module in _imports(path):
                root = module.split(".")[0]
                inner = module.split(".")[1] if module.startswith("matcher.") else None
                if root in IMPURE_ROOTS or (inner and inner not in (package, "iso")):
                    offenders.append(f"{package}/{path.name} imports {module}")
    assert offenders == []


def test_no_two_domain_packages_import_each_other():
    edges = _package_edges()
    circles = [
        (a, b, edges[a][b][:2], edges[b][a][:2])
        for a in edges
        for b in edges[a]
        if a < b and a in edges.get(b, {})
    ]
    assert circles == []


def test_lower_packages_never_import_higher_ones():
    rank = {package: i for i, package in enumerate(DOMAIN)}
    upward = [
        f"{a} -> {b}: {why[0]}"
        for a, targets in _package_edges().items()
        for b, why in targets.items()
        if rank[b] > rank[a]
    ]
    assert upward == []


def test_the_naive_references_serve_only_the_tests_and_the_benchmark():
    # candidates.naive loads every provider (or every narrowed one) in full: fine as the
    # tests' oracle, far too slow for a match run at 100,000 providers.
    users = []
    for root in (MATCHER, MATCHER.parent / "workers"):
        for path in root.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
                if "matcher.candidates.naive" in names:
                    users.append(str(path.relative_to(MATCHER.parent)))
    assert users == []
