"""The Stata commands that change the dataset: generate, egen, replace, rename, keep, drop,
collapse, contract, expand, merge, append, joinby, reshape... Each updates the checker's
``Dataset`` and raises the findings that belong to it (float sums, encode of keys, numbering
after expand, contract keeping missing codes, merge m:m, key types).

Mixed into ``cookbook.stata_rules.Rules``; ``self`` supplies ``report``, ``data``,
``check_names``, ``resolve_varlist``, ``check_expression`` and the files saved so far.
"""

import re

from cookbook.stata_data import Dataset, rename_pattern, wildcard_regex
from cookbook.stata_syntax import (
    STORAGE_TYPES,
    identifiers,
    kind_of_expression,
    option,
    parse_options,
    split_main,
    split_qualifiers,
    top_level_split,
    varlist_tokens,
)

UNKNOWN = "\x00"
_KEY = re.compile(
    r"(edukey|ae_id|pupilmatchingref|^pmr$|entkey|enterprise|unique_id|applicant_id|laestab|"
    r"^urn|msoa|lsoa|course_identifier|provider_id|person)",
    re.I,
)
_SUM_STATS = {"sum", "rawsum"}


def _type_word(word):
    if word in STORAGE_TYPES or re.fullmatch(r"str(\d+|L)?", word or ""):
        return word
    return None


def _kind_of_type(word):
    if word.startswith("str"):
        return "str"
    return "double" if word == "double" else "num"


class DataRules:
    # ------------------------------------------------------------------ generate and friends
    def _assignment(self, args):
        """(type or None, name, expression, if, in) of 'gen [type] name = exp [if] [in]'."""
        eq = top_level_split(args, "=")
        eq = [p for p in eq if args[p : p + 2] != "==" and (p == 0 or args[p - 1] not in "=!<>~")]
        if not eq:
            return None
        left, right = args[: eq[0]].split(), args[eq[0] + 1 :]
        typ = _type_word(left[0]) if len(left) == 2 else None
        name = left[-1].split(":")[0] if left else ""
        expr, cond, rng, _u, _w = split_qualifiers(right)
        return typ, name, expr, cond, rng

    def do_generate(self, line, args, by, prefixes, replace=False):
        parsed = self._assignment(args)
        if parsed is None:
            self.report(line, "command", "generate needs 'newvar = expression'")
            return
        typ, name, expr, cond, _rng = parsed
        self.check_expression(line, expr)
        if cond:
            self.check_expression(line, cond)
        if UNKNOWN in name:
            self.data.complete = False  # a variable whose name the checker cannot tell
            return
        kind = _kind_of_type(typ) if typ else kind_of_expression(expr, self._kind)
        if not typ and kind == "num" and self.type_double:
            kind = "double"
        if replace:
            if self.data.has(name) is False:
                self.report(line, "variable", f"replace: '{name}' does not exist (generate it)")
            have = self.data.kind(name)
            if {have, kind} == {"str", "num"} or {have, kind} == {"str", "double"}:
                self.report(
                    line,
                    "type",
                    f"replace puts a {kind} value in {name}, which is "
                    f"{'a string' if have == 'str' else 'numeric'} (type mismatch)",
                )
            self._numbering(line, expr, by)
            self.dirty = True
            return
        if name in self.data.vars:
            self.report(line, "exists", f"generate: '{name}' already exists (use replace)")
        self._float_rules(line, typ, expr, by)
        self._numbering(line, expr, by)
        if typ in ("long", "double") and re.fullmatch(r"\s*_n\s*", expr) and by is None:
            self.row_ids.add(frozenset([name]))
        self.data.add(name, kind)
        self.dirty = True

    def do_replace(self, line, args, by, prefixes):
        self.do_generate(line, args, by, prefixes, replace=True)

    def _kind(self, name):
        return self.data.kind(name)

    def _float_rules(self, line, typ, expr, by):
        if (typ and typ != "float") or self.type_double:
            return
        plain = re.sub(r'"[^"]*"', '""', expr)
        if re.search(r"(?<![\w.])sum\s*\(", plain):
            self.report(
                line,
                "float-sum",
                "a running sum() stored as float (7 significant digits): generate double",
            )
            return
        if re.fullmatch(r"\s*_n\s*", expr) and by is None:
            self.report(
                line,
                "float-id",
                "row numbers stored as float are exact only to 16,777,216: generate long",
            )
            return
        doubles = [n for n in identifiers(expr) if self.data.kind(n) == "double"]
        if doubles and re.search(r"[*/+\-]", plain) and not re.search(r"(==|!=|[<>]|&|\|)", plain):
            self.report(
                line,
                "float-precision",
                f"a value computed from the double "
                f"{doubles[0]} stored as float (7 significant digits): generate double",
            )

    def _numbering(self, line, expr, by):
        if by is None or not self.expanded or not re.search(r"\b_n\b", expr):
            return
        group = {t for t in varlist_tokens(re.sub(r"\([^)]*\)", " ", split_main(by)[0]))}
        if not any(ids <= group for ids in self.row_ids):
            self.report(
                line,
                "expand-numbering",
                f"copies made by expand are numbered with _n by ({' '.join(sorted(group))}), "
                "which need not identify the original rows (two rows alike get mixed up): "
                "gen long row = _n before expand and number by row",
            )

    def do_egen(self, line, args, by, prefixes):
        main, opts = split_main(args)
        m = re.match(
            r"^\s*(?:(\w+)\s+)?([A-Za-z_]\w*|\S*\x00\S*)\s*=\s*(\w+)\s*\((.*)\)\s*(.*)$", main, re.S
        )
        if not m:
            self.report(line, "command", "egen needs 'newvar = function(arguments)'")
            return
        typ, name, fn, inner, tail = m.groups()
        if typ and not _type_word(typ):
            typ = None
        _h, cond, _r, _u, _w = split_qualifiers(tail)
        if cond:
            self.check_expression(line, cond)
        if fn in ("group", "tag", "concat") or fn.startswith("row") or fn.startswith("any"):
            self.resolve_varlist(line, inner.split(",")[0] if fn == "concat" else inner)
        else:
            self.check_expression(line, inner)
        parsed = parse_options(opts)
        by_opt = option(parsed, "by")
        if isinstance(by_opt, str):
            self.resolve_varlist(line, by_opt)
        if fn == "group" and typ not in ("long", "double"):
            self.report(
                line,
                "group-type",
                "egen group() ids stored as "
                f"{typ or 'float'} are exact only to 16,777,216 groups (int: 32,740): "
                "egen long",
            )
        if fn in ("total", "sum") and typ in (None, "float") and not self.type_double:
            self.report(
                line,
                "float-sum",
                f"egen {fn}() stores the sum as {typ or 'float'} "
                "(7 significant digits): egen double",
            )
        if UNKNOWN in name:
            self.data.complete = False
            return
        if name in self.data.vars:
            self.report(line, "exists", f"egen: '{name}' already exists")
        kind = "str" if fn == "concat" else (_kind_of_type(typ) if typ else "num")
        self.data.add(name, kind)
        self.dirty = True

    # ------------------------------------------------------------------ variables in and out
    def do_keep(self, line, args, by, prefixes, drop=False):
        main, _ = split_main(args)
        head, cond, rng, _u, _w = split_qualifiers(main)
        if cond is not None or rng is not None:
            if cond:
                self.check_expression(line, cond)
            self.dirty = True
            return
        if head.strip() == "_all":
            if drop:
                self.data = Dataset()
            return
        self.moving_only = True  # keeping or dropping a damaged variable is not using it
        names = self.resolve_varlist(line, head)
        self.moving_only = False
        if drop:
            for n in varlist_tokens(head):
                self.lossy.pop(n, None)
        if names is None:
            patterns = [wildcard_regex(t) for t in varlist_tokens(head) if "-" not in t]
            ranged = any("-" in t for t in varlist_tokens(head))
            for n in list(self.data.names()):
                hit = any(p.fullmatch(n) for p in patterns)
                if drop and hit:
                    self.data.drop(n)
                elif not drop and not hit:
                    kind = self.data.kind(n)
                    self.data.drop(n)
                    if ranged or UNKNOWN in head:
                        self.data.maybe[n] = kind
            if not drop:
                self.data.complete = False
            self.dirty = True
            return
        if drop:
            for n in names:
                self.data.drop(n)
        else:
            self.data = Dataset({n: self.data.kind(n) for n in names})
        self.dirty = True

    def do_drop(self, line, args, by, prefixes):
        self.do_keep(line, args, by, prefixes, drop=True)

    def do_rename(self, line, args, by, prefixes):
        main, opts = split_main(args)
        parsed = parse_options(opts)
        if not main.strip() or main.strip() in ("*", "_all"):
            case = "lower" if "lower" in parsed else "upper" if "upper" in parsed else None
            if case:
                for n in list(self.data.names()):
                    new = n.lower() if case == "lower" else n.upper()
                    kind = self.data.kind(n)
                    self.data.drop(n)
                    self.data.add(new, kind)
            return
        groups = re.findall(r"\(([^)]*)\)", main)
        if len(groups) == 2:
            olds, news = groups[0].split(), groups[1].split()
        else:
            words = main.split()
            if len(words) != 2:
                self.report(line, "command", "rename takes 'old new' or '(olds) (news)'")
                return
            olds, news = [words[0]], [words[1]]
        if len(olds) != len(news):
            self.report(line, "command", "rename: the two lists differ in length")
            return
        for old, new in zip(olds, news):
            if UNKNOWN in old or UNKNOWN in new:
                self.data.complete = False
                continue
            if any(c in old for c in "*?#"):
                mapping = rename_pattern(old, new, self.data.names())
                if mapping is None:
                    self.data.complete = False
                    continue
                if not mapping and self.data.complete:
                    self.report(line, "variable", f"rename: no variable matches '{old}'")
                for a, b in mapping.items():
                    self.data.rename(a, b)
                continue
            self.check_names(line, [old])
            if new in self.data.vars and new != old:
                self.report(line, "exists", f"rename: '{new}' already exists")
            if old in self.data.names():
                self.data.rename(old, new)
            else:
                self.data.add(new, "?")
        self.dirty = True

    def do_clonevar(self, line, args, by, prefixes):
        m = re.match(r"^\s*(\w+)\s*=\s*(\w+)", args)
        if m:
            self.check_names(line, [m.group(2)])
            self.data.add(m.group(1), self.data.kind(m.group(2)))

    def do_count(self, line, args, by, prefixes):
        main, _ = split_main(args)
        _h, cond, _r, _u, _w = split_qualifiers(main)
        if cond:
            self.check_expression(line, cond)

    def do_assert(self, line, args, by, prefixes):
        main, _ = split_main(args)
        self.check_expression(line, main)

    def do_gsort(self, line, args, by, prefixes):
        main, _ = split_main(args)
        self.resolve_varlist(line, re.sub(r"(^|\s)[+\-]", " ", main))

    def do_format(self, line, args, by, prefixes):
        words = [w for w in args.split() if not w.startswith("%")]
        self.resolve_varlist(line, " ".join(words))

    def do_order(self, line, args, by, prefixes):
        main, opts = split_main(args)
        names = self.resolve_varlist(line, main)
        if names and not opts.strip():
            rest = {k: v for k, v in self.data.vars.items() if k not in names}
            self.data.vars = {
                **{n: self.data.vars[n] for n in names if n in self.data.vars},
                **rest,
            }

    def do_label(self, line, args, by, prefixes):
        words = args.split()
        if words[:1] in (["values"], ["val"], ["variable"], ["var"]) and len(words) > 1:
            self.check_names(line, [words[1]])

    def do_predict(self, line, args, by, prefixes):
        main, _ = split_main(args)
        words = split_qualifiers(main)[0].split()
        if words:
            name = words[-1]
            self.data.add(name, "double" if words[0] == "double" else "num")

    def do_xtile(self, line, args, by, prefixes):
        parsed = self._assignment(args.split(",")[0])
        if parsed:
            _t, name, expr, cond, _r = parsed
            self.check_expression(line, expr)
            if cond:
                self.check_expression(line, cond)
            self.data.add(name, "num")

    def do_svmat(self, line, args, by, prefixes):
        self.data.complete = False

    # ------------------------------------------------------------------ conversions
    def do_encode(self, line, args, by, prefixes):
        main, opts = split_main(args)
        var = split_qualifiers(main)[0].strip()
        self.check_names(line, [var])
        if self.data.kind(var) in ("num", "double"):
            self.report(line, "type", f"encode needs a string variable; {var} is numeric")
        if _KEY.search(var):
            self.report(
                line,
                "encode-key",
                f"encode {var}: value labels stop at 65,536 "
                "distinct values (national LEO has millions of keys): "
                f"egen long id = group({var})",
            )
        new = option(parse_options(opts), "generate", "gen", "g")
        if isinstance(new, str):
            self.data.add(new.strip(), "num")

    def do_decode(self, line, args, by, prefixes):
        main, opts = split_main(args)
        self.check_names(line, [split_qualifiers(main)[0].strip()])
        new = option(parse_options(opts), "generate", "gen", "g")
        if isinstance(new, str):
            self.data.add(new.strip(), "str")

    def do_destring(self, line, args, by, prefixes, kind="num"):
        main, opts = split_main(args)
        names = self.resolve_varlist(line, split_qualifiers(main)[0]) or []
        parsed = parse_options(opts)
        new = option(parsed, "generate", "gen", "g")
        if isinstance(new, str):
            for n in new.split():
                self.data.add(n, kind)
        elif "replace" in parsed:
            for n in names:
                self.data.add(n, kind)
        self.dirty = True

    def do_tostring(self, line, args, by, prefixes):
        self.do_destring(line, args, by, prefixes, kind="str")

    # ------------------------------------------------------------------ reshaping
    def do_collapse(self, line, args, by, prefixes):
        main, opts = split_main(args)
        clist, cond, _r, _u, _w = split_qualifiers(main)
        if cond:
            self.check_expression(line, cond)
        parsed = parse_options(opts)
        by_vars = []
        if isinstance(parsed.get("by"), str):
            by_vars = self.resolve_varlist(line, parsed["by"]) or []
        out = Dataset({n: self.data.kind(n) for n in by_vars})
        stat = "mean"
        tokens = re.findall(r"\([^)]*\)|[^\s=]+\s*=\s*[^\s=]+|[^\s]+", clist)
        for token in tokens:
            if token.startswith("("):
                stat = token.strip("() ")
                continue
            if "=" in token:
                target, source = (t.strip() for t in token.split("=", 1))
                self.check_names(line, [source])
                sources = [(target, source)]
            else:
                names = self.resolve_varlist(line, token) or []
                sources = [(n, n) for n in names]
            for target, source in sources:
                if target in out.vars:
                    self.report(line, "exists", f"collapse makes '{target}' twice")
                out.add(target, self._stat_kind(stat, source))
        self.new_data(out)
        self.dirty = True

    def _stat_kind(self, stat, source):
        if stat in _SUM_STATS or stat == "percent":
            return "double"
        if stat == "count":
            return "num"
        if stat in ("first", "last", "firstnm", "lastnm", "min", "max"):
            return self.data.kind(source)
        return "double" if self.data.kind(source) == "double" else "num"

    def do_contract(self, line, args, by, prefixes):
        main, opts = split_main(args)
        head, cond, _r, _u, _w = split_qualifiers(main)
        if cond:
            self.check_expression(line, cond)
        names = self.resolve_varlist(line, head)
        parsed = parse_options(opts)
        if "nomiss" not in parsed:
            self.report(
                line,
                "contract-missing",
                "contract keeps observations with missing "
                "values as categories of their own: add nomiss (or drop them first)",
            )
        out = Dataset({n: self.data.kind(n) for n in names or []}, complete=names is not None)
        for opt, default in (
            ("freq", "_freq"),
            ("percent", None),
            ("cfreq", None),
            ("cpercent", None),
        ):
            value = parsed.get(opt)
            if isinstance(value, str):
                out.add(value.strip(), "num")
            elif opt == "freq":
                out.add(default, "num")
        self.new_data(out)
        self.dirty = True

    def do_expand(self, line, args, by, prefixes):
        main, opts = split_main(args)
        expr, cond, _r, _u, _w = split_qualifiers(main)
        self.check_expression(line, expr.lstrip("="))
        if cond:
            self.check_expression(line, cond)
        new = option(parse_options(opts), "generate", "gen", "g")
        if isinstance(new, str):
            self.data.add(new.strip(), "num")
        self.expanded = True
        self.dirty = True

    def do_duplicates(self, line, args, by, prefixes):
        sub, _, rest = args.partition(" ")
        main, opts = split_main(rest)
        head, cond, _r, _u, _w = split_qualifiers(main)
        if cond:
            self.check_expression(line, cond)
        if head.strip():
            self.resolve_varlist(line, head)
        new = option(parse_options(opts), "generate", "gen", "g")
        if sub == "tag" and isinstance(new, str):
            self.data.add(new.strip(), "num")
        self.dirty = True

    def do_reshape(self, line, args, by, prefixes):
        sub, _, rest = args.partition(" ")
        main, opts = split_main(rest)
        parsed = parse_options(opts)
        keys = self.resolve_varlist(line, parsed["i"]) if isinstance(parsed.get("i"), str) else []
        j = parsed.get("j")
        out = Dataset.unknown()
        for n in keys or []:
            out.add(n, self.data.kind(n))
        if sub == "long" and isinstance(j, str) and j.split():
            out.add(j.split()[0], "str" if "string" in parsed else "num")
            for stub in main.split():
                out.add(stub.replace("@", ""), "?")
        elif sub == "wide" and isinstance(j, str) and j.split():
            self.check_names(line, [j.split()[0]] + main.split())
        self.new_data(out)
        self.dirty = True

    # ------------------------------------------------------------------ combining files
    def _using(self, line, text):
        token = text.strip().split()[0] if text.strip() else ""
        key = self.file_key(line, token, "dta")
        self.imported.append(key)
        data, _found = self.known_file(line, key, "dta")
        return key, data

    def do_merge(self, line, args, by, prefixes):
        main, opts = split_main(args)
        m = re.match(r"^\s*([1mM]:[1mM])\s+(.*)$", main)
        if not m:
            self.report(
                line,
                "command",
                "merge without 1:1, m:1, 1:m or m:m (the old syntax "
                "does not check the keys): write the match type",
            )
            return
        how, rest = m.group(1).lower(), m.group(2)
        if how == "m:m":
            self.report(
                line,
                "merge-mm",
                "merge m:m pairs rows in file order, which is almost "
                "never wanted: use joinby for all pairs",
            )
        if not re.search(r"\busing\b", rest):
            return
        keypart, usingpart = re.split(r"\busing\b", rest, maxsplit=1)
        keys = varlist_tokens(keypart)
        self.check_names(line, keys)
        key, other = self._using(line, usingpart)
        self._combine(line, keys, other, key, parse_options(opts), merge_var=True)

    def _combine(self, line, keys, other, key, parsed, merge_var):
        if other is not None:
            for k in keys:
                if other.has(k) is False:
                    self.report(line, "variable", f"key '{k}' is not in {key}")
                a, b = self.data.kind(k), other.kind(k)
                if {a, b} in ({"str", "num"}, {"str", "double"}):
                    self.report(
                        line,
                        "type",
                        f"key {k} is {a} in memory but {b} in {key}: "
                        "merge stops (read it as a string in both)",
                    )
            keep = option(parsed, "keepusing", "keepus", "keepu")
            names = other.names()
            if isinstance(keep, str):
                wanted = set(varlist_tokens(keep))
                for w in wanted:
                    if other.has(w) is False:
                        self.report(line, "variable", f"keepusing: '{w}' is not in {key}")
                names = {n for n in names if n in wanted or n in keys}
            for n in names:
                if n not in self.data.vars:
                    self.data.add(n, other.kind(n))
            self.data.complete = self.data.complete and other.complete
        else:
            self.data.complete = False
        if merge_var:
            gen = option(parsed, "generate", "gen", "g")
            nogen = any(k.startswith("nogen") for k in parsed)
            if isinstance(gen, str):
                self.data.add(gen.strip(), "num")
            elif not nogen:
                if "_merge" in self.data.vars:
                    self.report(
                        line,
                        "exists",
                        "_merge already exists: drop it, or use generate() or nogenerate",
                    )
                self.data.add("_merge", "num")
        self.dirty = True

    def do_append(self, line, args, by, prefixes):
        main, opts = split_main(args)
        using = re.split(r"\busing\b", main, maxsplit=1)[-1]
        key, other = self._using(line, using)
        self._combine(line, [], other, key, {}, merge_var=False)
        gen = option(parse_options(opts), "generate", "gen", "g")
        if isinstance(gen, str):
            self.data.add(gen.strip(), "num")

    def do_joinby(self, line, args, by, prefixes):
        main, opts = split_main(args)
        if not re.search(r"\busing\b", main):
            return
        keypart, usingpart = re.split(r"\busing\b", main, maxsplit=1)
        keys = varlist_tokens(keypart)
        self.check_names(line, keys)
        key, other = self._using(line, usingpart)
        self._combine(line, keys, other, key, {}, merge_var=False)
        if "unmatched" in parse_options(opts):
            self.data.add("_merge", "num")

    def do_cross(self, line, args, by, prefixes):
        key, other = self._using(line, re.split(r"\busing\b", args, maxsplit=1)[-1])
        self._combine(line, [], other, key, {}, merge_var=False)
