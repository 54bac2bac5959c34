"""The README of the SRS import bundle, rendered from the pages' front matter and R version
statements (``render(recipes)``), so it always lists what the bundle holds."""

import re

from cookbook.rversions import statement, version_key


def _r_needs(recipes):
    needs = {}
    for rec in recipes:
        for block in rec.blocks_of("r"):
            stated, problems = statement(block.code)
            if problems:
                continue
            for pkg, ver in stated.items():
                if pkg not in needs or version_key(ver) > version_key(needs[pkg]):
                    needs[pkg] = ver
    return needs


def render(recipes):
    ssc = {}
    python_needs = {}
    for rec in recipes:
        for pkg in rec.meta.get("stata_packages") or []:
            ssc.setdefault(pkg, []).append(rec.name)
        if any(not b.srs for b in rec.blocks_of("python")) or not rec.meta.get("srs_ready"):
            for pkg in rec.meta.get("needs") or []:
                python_needs.setdefault(pkg, []).append(rec.name)
    r_needs = _r_needs(recipes)
    lines = [
        "# LEO cookbook: SRS import bundle",
        "",
        "Plain files for the ONS Secure Research Service (SRS), which has no internet: request",
        "this folder (or `srs_bundle.zip`) through your project's import request. Made by",
        "`make srs-bundle` (`python tools/recipes.py bundle`) from the cookbook's pages; the same",
        "pages give the same bytes.",
        "",
        "## What is here",
        "",
        "| path | what |",
        "|---|---|",
        "| `leokit/` | the SRS-bound modules of leokit (derive, sdc, extract, tax and the schema "
        "registry), unchanged; they need Python 3.7+, pandas 1.0+ and numpy |",
        "| `recipes/<topic>/<page>.py` | a page's Python block (`<page>_2.py` the second); the "
        "first lines say whether it runs on the SRS's Python |",
        "| `recipes/<topic>/<page>.R` | its R blocks, each stating the R and package versions it "
        "needs (`# Needs:`) |",
        "| `recipes/<topic>/<page>.do` | its Stata code (Stata 16 or 17) |",
        "| `recipes/<topic>/<page>.sql` | its T-SQL for the SRS SQL Server |",
        "| `recipes/lookups/` | public lookups the recipes read (CPIH), with their source |",
        "| `SHA256SUMS` | a SHA-256 checksum of every file, to check the transfer |",
        "",
        "## After the import",
        "",
        "1. Check the files arrived intact: `sha256sum -c SHA256SUMS` (Linux), or in PowerShell",
        "   `Get-FileHash -Algorithm SHA256 <file>` and compare with the list.",
        "2. Unzip into a folder of your project area, e.g. `<project>/leo_cookbook/`, and work",
        "   from there: Python finds `leokit` when that folder is the working directory (Spyder,",
        "   Jupyter) or on `PYTHONPATH`; R and Stata need only `setwd()` / `cd`.",
        "3. Point each file at the real views. The files read `data_csv/<view>.csv`, the synthetic",
        "   extract as CSV, which the bundle does not include. Replace those reads:",
        '   - Python: `pd.read_sql("SELECT <columns> FROM LEO_i2.[<project>].<view>", conn)` with',
        '     `conn = pyodbc.connect("DSN=<your DSN>")` (or `leokit.extract.open_extract` with',
        '     `{"odbc": "<connection string>", "schema": "<project>"}`);',
        '   - R: `RODBC::sqlQuery(RODBC::odbcConnect("<your DSN>"), "SELECT ...")`;',
        '   - Stata: `odbc load, exec("SELECT ... FROM LEO_i2.[<project>].<view>") dsn("<your DSN>") clear`',
        "     in place of `import delimited`;",
        "   - T-SQL: replace the schema `leo_synth` with your project's.",
        "   NPD views live in `NPD_i2`, HESA in `HESA_i2`, LEO and the lookups in `LEO_i2`; each",
        "   page's **In the SRS** section names its views.",
        "4. Outputs leave the SRS only after disclosure control (`leokit.sdc`; the output recipe).",
        "",
        "## What to ask for as well",
        "",
    ]
    if ssc:
        lines += [
            "Stata packages from SSC or their authors' sites (each block tests for them with",
            "`capture which` and falls back to built-in commands): download the package files",
            "(`.ado`, `.sthlp`, and `.mata`/`.mo` where the package has them) outside the SRS and",
            'request them with an import request; then `adopath + "<folder>"` in Stata.',
            "",
            "| package | used by |",
            "|---|---|",
        ]
        lines += [f"| `{p}` | {', '.join(sorted(set(v)))} |" for p, v in sorted(ssc.items())]
        lines.append("")
    if python_needs:
        lines += [
            "Python packages some blocks use beyond the SRS Anaconda (those files say so in their",
            "first lines; each page also has a block that needs none of them):",
            "",
            "| package | used by |",
            "|---|---|",
        ]
        lines += [
            f"| `{p}` | {', '.join(sorted(set(v)))} |" for p, v in sorted(python_needs.items())
        ]
        lines.append("")
    if r_needs:
        oldest = ", ".join(f"{p} {v}" for p, v in sorted(r_needs.items(), key=lambda x: x[0]))
        lines += [
            "R: the oldest versions any block needs are " + oldest + "; each `.R` file states its",
            "own (`# Needs:`) and gives the older spelling of anything newer than R 3.6's era.",
            "",
        ]
    lines += ["## Files", "", "| page | files |", "|---|---|"]
    for rec in recipes:
        files = []
        for lang, ext in (("python", ".py"), ("r", ".R"), ("stata", ".do"), ("sql", ".sql")):
            n = len(rec.blocks_of(lang))
            if not n:
                continue
            count = 1 if lang in ("stata", "sql") else n
            for k in range(1, count + 1):
                suffix = "" if k == 1 else f"_{k}"
                files.append(f"`{rec.name.split('/')[1]}{suffix}{ext}`")
        lines.append(f"| {rec.meta['title']} (`{rec.name}`) | {', '.join(files)} |")
    text = "\n".join(lines) + "\n"
    return re.sub(r"[ \t]+\n", "\n", text)
