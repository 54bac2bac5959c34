"""What each Stata command does to the dataset and the findings it can raise; mixed into the
checker's walker (``cookbook.stata.Walker``), which supplies macros, ``report`` and the state.

    self.command(line, "generate", "double x = a * b if c", by=None, prefixes=[])
"""

import os
import re

from cookbook.stata_data import Dataset, csv_columns, stata_name
from cookbook.stata_rules_data import DataRules
from cookbook.stata_syntax import (
    STORAGE_TYPES,
    identifiers,
    parse_options,
    split_main,
    split_qualifiers,
    varlist_tokens,
)

UNKNOWN = "\x00"
KEY_NAME = re.compile(
    r"(edukey|ae_id|pupilmatchingref|\bpmr\b|entkey|enterprise|unique_id|applicant_id|"
    r"laestab|\burn\b|_id$|^id_|msoa|lsoa|course_identifier|provider)",
    re.I,
)
#: string functions whose first argument must be a string, and numeric ones whose must not be
STRING_FUNCS = (
    "trim strtrim ltrim rtrim itrim stritrim substr usubstr strpos ustrpos strlen ustrlen "
    "length upper lower strupper strlower real regexm ustrregexm subinstr usubinstr word "
    "wordcount strmatch ustrtrim date daily"
).split()
NUMBER_FUNCS = "floor ceil int ln log log10 exp sqrt abs year month day dow doy mod string".split()
VARLIST_EGEN = (
    "group tag rowtotal rowmean rowmax rowmin rowmiss rownonmiss rowsd rowfirst rowlast "
    "concat anycount anymatch anyvalue diff"
).split()
NETWORK = re.compile(
    r"^(ssc\s+(install|inst|get|copy|new|hot)|net\s+(install|get|from|"
    r"search|link|cd|set)|adoupdate|update\s+(all|from|query)|webuse|findit)\b"
)


class Rules(DataRules):
    # ------------------------------------------------------------------ dispatch
    def command(self, line, full, args, by, prefixes):
        if NETWORK.match(f"{full} {args}") or re.search(r"https?://", args):
            self.report(
                line,
                "network",
                f"'{full} {args[:40]}' needs the internet, which the "
                "SRS does not have: bring files in with an import request",
            )
            return
        handler = getattr(self, "do_" + full, None)
        if handler is not None:
            handler(line, args, by, prefixes)
        else:
            self.generic(line, full, args)

    # ------------------------------------------------------------------ checking names
    def check_names(self, line, names, what="variable"):
        for name in names:
            if UNKNOWN in name or name in ("_all", "*") or name.startswith("__tmp"):
                continue
            if name in self.lossy and not getattr(self, "moving_only", False):
                self.report(line, "leading-zeros", self.lossy.pop(name))
            if self.data.has(name) is False:
                self.report(line, "variable", f"{what} '{name}' does not exist at this point")

    def resolve_varlist(self, line, text):
        """Concrete names of a varlist (checked), or None when a pattern hides some."""
        names, complete = [], True
        for token in varlist_tokens(text):
            if UNKNOWN in token:
                complete = False
                continue
            if "-" in token.strip("-") and not token.startswith("-"):
                a, b = token.split("-", 1)
                self.check_names(line, [a, b])
                found = self.data.range(a, b)
                if found is None:
                    complete = False
                else:
                    names.extend(found)
                continue
            if any(c in token for c in "*?~"):
                found = self.data.matching(token)
                if not found and self.data.complete:
                    self.report(line, "variable", f"no variable matches '{token}'")
                names.extend(found)
                complete = complete and self.data.complete
                continue
            self.check_names(line, [token])
            names.append(token)
        return names if complete else None

    def check_expression(self, line, expr):
        if not expr or UNKNOWN in expr:
            names = [n for n in identifiers(expr or "") if UNKNOWN not in n]
        else:
            names = identifiers(expr)
        names = [n for n in names if n not in self.matrices]
        self.check_names(line, names)
        self.check_types(line, expr or "")

    def check_types(self, line, expr):
        plain = re.sub(r'"[^"]*"', '"s"', expr)
        for m in re.finditer(r"\b([A-Za-z_]\w*)\s*(==|!=|~=|>=|<=|>|<)\s*(\"|-?[\d.])", plain):
            self._mismatch(line, m.group(1), "str" if m.group(3) == '"' else "num", m.group(0))
        for m in re.finditer(r"(\"s\"|\b\d[\d.]*)\s*(==|!=|~=)\s*([A-Za-z_]\w*)\b(?!\s*\()", plain):
            self._mismatch(line, m.group(3), "str" if m.group(1) == '"s"' else "num", m.group(0))
        for m in re.finditer(r"\b(\w+)\(\s*([A-Za-z_]\w*)\s*[,)]", plain):
            fn, var = m.group(1), m.group(2)
            if fn in STRING_FUNCS:
                self._mismatch(line, var, "str", f"{fn}({var})")
            elif fn in NUMBER_FUNCS:
                self._mismatch(line, var, "num", f"{fn}({var})")
        for m in re.finditer(r"\binlist\(\s*([A-Za-z_]\w*)\s*,\s*(\"|-?[\d.])", plain):
            self._mismatch(line, m.group(1), "str" if m.group(2) == '"' else "num", m.group(0))

    def _mismatch(self, line, var, wanted, where):
        kind = self.data.kind(var) if var in self.data.names() else "?"
        have = {"double": "num"}.get(kind, kind)
        if have in ("str", "num") and have != wanted:
            what = "a string" if have == "str" else "numeric"
            self.report(line, "type", f"'{where}': {var} is {what} here (type mismatch)")

    def check_by(self, line, by):
        main, _ = split_main(by)
        self.resolve_varlist(line, main.replace("(", " ").replace(")", " "))

    # ------------------------------------------------------------------ generic commands
    GENERIC_VARLIST = set(
        "summarize tabulate tab1 tab2 codebook describe inspect isid xtset tsset "
        "regress areg xtreg logit probit poisson mean total proportion pwcorr correlate "
        "levelsof histogram misstable sort reghdfe rdrobust tabstat ttest ds recast compress "
        "fillin".split()
    )

    def generic(self, line, full, args):
        main, opts = split_main(args)
        for key, value in parse_options(opts).items():
            if key in ("matcell", "matrow", "matcol", "matrix", "mat") and isinstance(value, str):
                self.matrices.add(value.strip())
        main, cond, _rng, _using, _weight = split_qualifiers(main)
        if cond:
            self.check_expression(line, cond)
        if full in self.GENERIC_VARLIST and full not in ("ds",):
            text = re.sub(r"\(|\)|=", " ", main)
            if full == "ttest":
                text = re.split(r"==", main)[0]
            self.resolve_varlist(line, text)
            parsed = parse_options(opts)
            for key in ("by", "absorb", "cluster", "i", "over"):
                if key in parsed and parsed[key] is not True:
                    self.resolve_varlist(line, parsed[key])
            for key in ("vce", "cluster"):
                value = parsed.get(key)
                if isinstance(value, str) and value.split()[:1] in (["cluster"], ["cl"]):
                    self.resolve_varlist(line, " ".join(value.split()[1:]))
        if full == "isid":
            names = self.resolve_varlist(line, main)
            if names:
                self.row_ids.add(frozenset(names))
        if full == "levelsof":
            parsed = parse_options(opts)
            if isinstance(parsed.get("local"), str):
                self.locals[parsed["local"].strip()] = UNKNOWN
        if full == "fillin":
            self.data.add("_fillin", "num")
            self.dirty = True

    # ------------------------------------------------------------------ macros and names
    def do_local(self, line, args, by, prefixes, kind="local"):
        m = re.match(r"^(\+\+|--)?([A-Za-z_]\w*)(\+\+|--)?\s*(.*)$", args, re.S)
        if not m:
            return
        name, rest = m.group(2), m.group(4)
        if m.group(1) or m.group(3):
            old = self.locals.get(name) if kind == "local" else self.globals.get(name)
            step = 1 if "+" in (m.group(1) or m.group(3)) else -1
            value = str(int(old) + step) if old and old.lstrip("-").isdigit() else UNKNOWN
            self.set_macro(kind, name, value)
            return
        if rest.startswith("="):
            value = self.evaluate(rest[1:])
            self.set_macro(kind, name, UNKNOWN if value is None else value)
        elif rest.startswith(":"):
            self.set_macro(kind, name, UNKNOWN)
        else:
            value = rest.strip()
            if value.startswith('`"') and value.endswith("\"'"):
                value = value[2:-2]
            elif len(value) >= 2 and value[0] == '"' and value[-1] == '"':
                value = value[1:-1]
            self.set_macro(kind, name, value)

    def do_global(self, line, args, by, prefixes):
        self.do_local(line, args, by, prefixes, kind="global")

    def do_tempfile(self, line, args, by, prefixes):
        for name in args.split():
            self.locals[name] = f"<tempfile:{name}>"

    def do_tempvar(self, line, args, by, prefixes):
        for name in args.split():
            self.locals[name] = f"__tmp_{name}"

    def do_tempname(self, line, args, by, prefixes):
        for name in args.split():
            self.locals[name] = f"__tmpname_{name}"
            self.matrices.add(f"__tmpname_{name}")

    def do_matrix(self, line, args, by, prefixes):
        m = re.match(r"^(define\s+)?([A-Za-z_]\w*)\s*=", args)
        if m:
            self.matrices.add(m.group(2))
        m = re.search(r"\bmatrix\s*\(\s*([A-Za-z_]\w*)\s*\)", args)
        if m and args.startswith(("mkmat",)):
            self.matrices.add(m.group(1))

    def do_scalar(self, line, args, by, prefixes):
        m = re.match(r"^(define\s+)?([A-Za-z_]\w*)\s*=", args)
        if m:
            self.matrices.add(m.group(2))

    def do_tokenize(self, line, args, by, prefixes):
        words = [a or b for a, b in re.findall(r'"([^"]*)"|(\S+)', split_main(args)[0])]
        for i, w in enumerate(words, start=1):
            self.locals[str(i)] = w

    def do_which(self, line, args, by, prefixes):
        if args.split():
            self.guarded.add(args.split()[0].rstrip(","))

    def do_set(self, line, args, by, prefixes):
        words = args.split()
        if len(words) >= 2 and words[0] == "type":
            self.type_double = words[1].rstrip(",") == "double"

    def do_mkmat(self, line, args, by, prefixes):
        main, opts = split_main(args)
        self.resolve_varlist(line, split_qualifiers(main)[0])
        m = parse_options(opts).get("matrix")
        if isinstance(m, str):
            self.matrices.add(m.strip())

    # ------------------------------------------------------------------ files
    def file_key(self, line, token, kind):
        """A normalised name for a file a command names (macros resolved; * where they
        could not be); .dta added to data files without an extension."""
        name = token.strip().strip('"')
        if name.startswith("<tempfile:"):
            return name
        name = name.replace(UNKNOWN, "*").replace("\\", "/")
        if kind == "dta" and not os.path.splitext(name)[1]:
            name += ".dta"
        return name

    def known_file(self, line, key, kind):
        """(Dataset or None, found): what the file holds; reports a file nothing made."""
        if key in self.files:
            return self.files[key].copy(), True
        if key.startswith("<tempfile:"):
            self.report(
                line, "file", f"tempfile `{key[10:-1]}' is read before anything is saved in it"
            )
            return None, False
        if key in self.confirmed:
            path = self.csv_path_quiet(key)
            return None, path is not None
        if kind == "csv":
            path = self.csv_path(line, key)
            return None, path is not None
        self.report(
            line,
            "file",
            f"{key} is not made by an earlier block of this page nor "
            "shipped: save it first (or read the CSV in data_csv/)",
        )
        return None, False

    def csv_path(self, line, key):
        import glob

        if key.startswith("data_csv/"):
            rest = key[len("data_csv/") :]
            view = rest[: -len(".csv")] if rest.endswith(".csv") else rest
            if self.ctx.views is not None and "*" not in view and view not in self.ctx.views:
                self.report(
                    line,
                    "file",
                    f"{key}: make recipe-data writes only the views in "
                    f"front matter; add {view} to views",
                )
                return None
            base = self.ctx.data_dir
            pattern = os.path.join(base, rest) if base else None
        else:
            pattern = os.path.join(self.ctx.root, key)
        found = sorted(glob.glob(pattern)) if pattern else []
        if not found:
            if key.startswith("data_csv/") and self.ctx.data_dir is None:
                return None
            self.report(
                line,
                "file",
                f"{key} does not exist (neither in data_csv/ nor shipped in the repository)",
            )
            return None
        return found[0] if "*" not in key else None

    # ------------------------------------------------------------------ loading and saving
    def new_data(self, data):
        self.data = data
        self.expanded = False
        self.row_ids = set()
        self.dirty = False

    def require_clear(self, line, opts, what):
        if getattr(self, "dirty", False) and "clear" not in parse_options(opts):
            self.report(
                line,
                "file",
                f"{what} without 'clear' after the data in memory "
                "changed: Stata stops ('no; dataset in memory has changed')",
            )

    def do_clear(self, line, args, by, prefixes):
        self.new_data(Dataset())

    def do_use(self, line, args, by, prefixes):
        main, opts = split_main(args)
        self.require_clear(line, opts, "use")
        varpart, using = main, None
        if re.search(r"\busing\b", main):
            varpart, using = re.split(r"\busing\b", main, maxsplit=1)
        else:
            varpart, using = "", main
        key = self.file_key(line, using.split('"')[1] if '"' in using else using.strip(), "dta")
        data, _ = self.known_file(line, key, "dta")
        self.imported.append(key)
        if data is None:
            data = Dataset.unknown()
        names = varlist_tokens(split_qualifiers(varpart)[0])
        if names and all(not any(c in n for c in "*?~-") for n in names):
            for n in names:
                if data.has(n) is False:
                    self.report(line, "variable", f"'{n}' is not in {key}")
            data = Dataset({n: data.kind(n) for n in names})
        self.new_data(data)

    def do_save(self, line, args, by, prefixes):
        main, _opts = split_main(args)
        if not main.strip():
            return
        key = self.file_key(line, main.strip(), "dta")
        self.files[key] = self.data.copy()
        self.dirty = False

    do_saveold = do_save

    def do_postfile(self, line, args, by, prefixes):
        main, _opts = split_main(args)
        if not re.search(r"\busing\b", main):
            return
        before, using = re.split(r"\busing\b", main, maxsplit=1)
        words = before.split()[1:]  # the first word is the post handle
        names, kind = {}, "num"
        for w in words:
            if w in STORAGE_TYPES or re.fullmatch(r"str(\d+|L)", w):
                kind = "str" if w.startswith("str") else ("double" if w == "double" else "num")
                continue
            names[w] = kind
            kind = "num"
        self.files[self.file_key(line, using.strip(), "dta")] = Dataset(names)

    def do_import(self, line, args, by, prefixes):
        sub, _, rest = args.partition(" ")
        if not "delimited".startswith(sub) or len(sub) < 5:
            main, opts = split_main(rest)
            token = main.split("using", 1)[-1].strip()
            if token:
                self.known_file(line, self.file_key(line, token, "other"), "csv")
            self.new_data(Dataset.unknown())
            return
        main, opts = split_main(rest)
        self.require_clear(line, opts, "import delimited")
        names = None
        if re.search(r"\busing\b", main):
            names_text, token = re.split(r"\busing\b", main, maxsplit=1)
            names = names_text.split() or None
        else:
            token = main
        key = self.file_key(line, token.strip(), "csv")
        self.imported.append(key)
        path = None
        if "*" not in key:
            _data, found = self.known_file(line, key, "csv")
            path = self.csv_path_quiet(key) if found else None
        else:
            self.csv_path(line, key)
        self.new_data(self.imported_data(line, path, parse_options(opts), names))
        self.dirty = True

    def csv_path_quiet(self, key):
        if key.startswith("data_csv/"):
            if not self.ctx.data_dir:
                return None
            path = os.path.join(self.ctx.data_dir, key[len("data_csv/") :])
        else:
            path = os.path.join(self.ctx.root, key)
        return path if os.path.exists(path) else None

    def imported_data(self, line, path, opts, names):
        if path is None or names:
            return Dataset.unknown()
        columns = csv_columns(path)
        case = opts.get("case", "lower")
        case = "preserve" if str(case).startswith("pre") else str(case)
        strings = _column_numbers(opts.get("stringcols"), len(columns))
        numbers = _column_numbers(opts.get("numericcols"), len(columns))
        colrange = opts.get("colrange")
        first, last = 1, len(columns)
        if isinstance(colrange, str) and re.fullmatch(r"\s*\d*\s*:\s*\d*\s*", colrange):
            a, b = colrange.split(":")
            first, last = int(a or 1), int(b or len(columns))
        data = Dataset()
        if opts.get("varnames") == "nonames":
            return Dataset.unknown()
        for i, (header, kind, leading) in enumerate(columns, start=1):
            if not first <= i <= last:
                continue
            name = stata_name(header, case)
            if name is None:
                # not a valid Stata name (e.g. over 32 characters): Stata renames the column
                # (v# or a shortened name); either may be referred to
                short = re.sub(r"\W", "_", header)[:32]
                data.maybe[short] = kind
                data.maybe[f"v{i}"] = kind
                continue
            if i in strings:
                kind = "str"
            elif i in numbers:
                kind = "num"
            if kind == "num" and leading:
                self.lossy[name] = (
                    f"{name} holds codes with leading zeros (e.g. 0018262664) but is read as a "
                    "number, which drops them: list its column in stringcols()"
                )
            data.add(name, kind)
        return data

    def do_insheet(self, line, args, by, prefixes):
        main, _opts = split_main(args)
        token = re.split(r"\busing\b", main, maxsplit=1)[-1]
        key = self.file_key(line, token.strip(), "csv")
        self.imported.append(key)
        self.known_file(line, key, "csv")
        self.new_data(Dataset.unknown())

    def do_odbc(self, line, args, by, prefixes):
        if args.split()[:1] == ["load"]:
            self.new_data(Dataset.unknown())

    def do_list(self, line, args, by, prefixes):
        main, _opts = split_main(args)
        main, cond, _r, _u, _w = split_qualifiers(main)
        if cond:
            self.check_expression(line, cond)
        if main.strip():
            names = self.resolve_varlist(line, main)
            self.lists.append((line, frozenset(names) if names is not None else None))
        else:
            self.lists.append((line, frozenset(self.data.names()) if self.data.complete else None))

    def do_export(self, line, args, by, prefixes):
        sub, _, rest = args.partition(" ")
        main, _opts = split_main(rest)
        if "using" in main:
            varpart, token = re.split(r"\busing\b", main, maxsplit=1)
        else:
            varpart, token = "", main
        varpart, cond, _r, _u, _w = split_qualifiers(varpart)
        if cond:
            self.check_expression(line, cond)
        names = (
            self.resolve_varlist(line, varpart)
            if varpart.strip()
            else (sorted(self.data.names()) if self.data.complete else None)
        )
        self.lists.append((line, frozenset(names) if names is not None else None))
        self.files[self.file_key(line, token.strip(), "other")] = self.data.copy()

    def do_preserve(self, line, args, by, prefixes):
        self.preserved.append((self.data.copy(), self.expanded, set(self.row_ids)))

    def do_restore(self, line, args, by, prefixes):
        if "not" in parse_options(split_main(args)[1]):
            if self.preserved:
                self.preserved.pop()
            return
        if not self.preserved:
            self.report(line, "command", "restore without an earlier preserve")
            return
        keep = "preserve" in parse_options(split_main(args)[1])
        data, expanded, rows = self.preserved[-1] if keep else self.preserved.pop()
        self.data, self.expanded, self.row_ids = data.copy(), expanded, set(rows)


def _column_numbers(value, n):
    if value is None or value is True:
        return set()
    value = str(value).strip()
    if value == "_all":
        return set(range(1, n + 1))
    out = set()
    for part in value.replace(",", " ").split():
        m = re.fullmatch(r"(\d+)[/\-:](\d+)", part)
        if m:
            out.update(range(int(m.group(1)), int(m.group(2)) + 1))
        elif part.isdigit():
            out.add(int(part))
    return out
