"""The shape of a Python package's source: an import graph of its modules, import cycles,
private names imported across modules, and module lengths.

    from support.structure import modules_of, import_graph, cycles, private_imports
    mods = modules_of("src/leokit", "leokit")        # {module name: file path}
    graph = import_graph(mods)                        # {module: {modules it imports}}
    cycles(graph)                                     # [[a, b, a], ...]; [] when acyclic
    loaded_with(import_graph(mods, top_level=True), "leokit.extract")   # what loads with it
    private_imports(mods)                             # [(file, line, "from x import _y")]

Every ``import`` statement counts, at module level or inside a function: a lazy import that
closes a loop is still a loop in the design. An edge goes to the module an import names: for
``from a.b import c`` to ``a.b.c`` when that is a module of the package, else to ``a.b``.
Importing a submodule also runs its package's ``__init__``, but that edge is left out: a
package that re-exports its submodules would otherwise always be a cycle.
"""

import ast
import os

__all__ = [
    "modules_of",
    "import_graph",
    "loaded_with",
    "cycles",
    "private_imports",
    "line_counts",
]


def modules_of(root, package):
    """{dotted module name: file path} of every .py file under `root` (the package folder)."""
    out = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        rel = os.path.relpath(folder, root)
        parts = [package] + ([] if rel == "." else rel.split(os.sep))
        for f in sorted(files):
            if not f.endswith(".py"):
                continue
            name = parts if f == "__init__.py" else parts + [f[:-3]]
            out[".".join(name)] = os.path.join(folder, f)
    return out


def _is_package(module, modules):
    return modules.get(module, "").endswith("__init__.py")


def _absolute(module, node, modules):
    """The module a `from ... import` names, relative levels resolved."""
    if not node.level:
        return node.module
    base = module.split(".")
    if not _is_package(module, modules):
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module, path, modules, top_level=False):
    """[(line, imported module, imported name or None)] of one file, absolute names; with
    `top_level`, only the imports that run when the module is loaded (not those inside
    functions)."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), filename=path)
    out = []
    for node in _top_level(tree) if top_level else ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                out.append((node.lineno, alias.name, None))
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, node, modules)
            for alias in node.names:
                out.append((node.lineno, source, alias.name))
    return out


def _top_level(tree):
    """The statements that run at import: the module body, and the bodies of its if/try
    blocks, but not functions or classes' methods."""
    todo = list(tree.body)
    while todo:
        node = todo.pop(0)
        yield node
        if isinstance(node, (ast.If, ast.Try, ast.With)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                todo.extend(getattr(node, field, []) or [])
        elif isinstance(node, ast.ExceptHandler):
            todo.extend(node.body)


def _target(source, name, modules):
    """The module of `modules` an import reaches, or None when it is outside them."""
    if name is not None and f"{source}.{name}" in modules:
        return f"{source}.{name}"
    parts = source.split(".")
    while parts:  # `import a.b.c` where only a.b is ours (a data attribute, say)
        if ".".join(parts) in modules:
            return ".".join(parts)
        parts.pop()
    return None


def import_graph(modules, top_level=False):
    """{module: set of modules of `modules` it imports} (itself never included); with
    `top_level`, only the imports that run when it is loaded."""
    graph = {m: set() for m in modules}
    for module, path in modules.items():
        for _, source, name in _imports(module, path, modules, top_level):
            hit = _target(source, name, modules)
            if hit is not None and hit != module:
                graph[module].add(hit)
    return graph


def loaded_with(graph, start):
    """The modules loading `start` loads (itself included), following `graph` (made with
    top_level=True); a submodule also loads its packages, so they are followed too."""
    seen, todo = set(), [start]
    while todo:
        m = todo.pop()
        if m in seen or m not in graph:
            continue
        seen.add(m)
        todo.extend(graph[m])
        parts = m.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
    return seen


def cycles(graph):
    """The import cycles of `graph`, one per strongly connected group of modules, each as a
    path [a, b, ..., a] through it (sorted, so the message is stable)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []
    counter = [0]

    def visit(v):  # Tarjan's algorithm; the graph of one package is small
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(_path_through(group, graph) for group in groups)


def _path_through(group, graph):
    """A cycle inside the strongly connected `group`, from its first module back to it."""
    start = group[0]
    members = set(group)
    previous = {start: None}
    frontier = [start]
    while frontier:  # breadth first: the shortest way round
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & members):
                if w == start:
                    path = [v]
                    while previous[path[-1]] is not None:
                        path.append(previous[path[-1]])
                    return [start] + path[::-1][1:] + [start] if v != start else [start, start]
                if w not in previous:
                    previous[w] = v
                    nxt.append(w)
        frontier = nxt
    return group + [start]


def _private(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_imports(modules):
    """[(path, line, text)]: a private name (`_x`) imported from another module of
    `modules`, by name (``from m import _x``), as a module (``import m._x``), or used as
    an attribute of an imported module (``import m`` ... ``m._x``)."""
    found = []
    for module, path in modules.items():
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), filename=path)
        aliases = {}  # local name -> one of our modules
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                source = _absolute(module, node, modules)
                if _target(source, None, modules) is None:
                    continue
                for alias in node.names:
                    if _private(alias.name) or any(_private(p) for p in source.split(".")):
                        found.append((path, node.lineno, f"from {source} import {alias.name}"))
                    hit = _target(source, alias.name, modules)
                    if hit == f"{source}.{alias.name}":
                        aliases[alias.asname or alias.name] = hit
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if _target(alias.name, None, modules) is None:
                        continue
                    if any(_private(p) for p in alias.name.split(".")):
                        found.append((path, node.lineno, f"import {alias.name}"))
                    if alias.asname:
                        aliases[alias.asname] = alias.name
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and aliases[node.value.id] != module
                and _private(node.attr)
            ):
                found.append((path, node.lineno, f"{aliases[node.value.id]}.{node.attr}"))
    return sorted(found)


def line_counts(modules):
    """{module: number of lines of its file}."""
    out = {}
    for module, path in modules.items():
        with open(path, encoding="utf-8") as f:
            out[module] = sum(1 for _ in f)
    return out
