"""Evaluate the small expressions Stata code puts in macros (``local m = mod(9 + 3, 12) + 1``,
``local yy = substr("2010", 3, 2)``) so the checker can follow file names and loop bounds.

    from cookbook.stata_eval import evaluate
    evaluate("2014 * 12 + 9")   # '24177'

Returns the text Stata would store, or None for anything else (missing values, variables,
unknown functions).
"""

import ast
import math
import re


def _substr(s, start, length):
    start = int(start)
    length = int(length)
    begin = start - 1 if start > 0 else len(s) + start
    return s[begin : begin + length] if length >= 0 else s[begin:]


def _stata_round(x, unit=1):
    return math.floor(x / unit + 0.5) * unit


FUNCTIONS = {
    "mod": lambda x, y: x - y * math.floor(x / y),
    "floor": math.floor,
    "ceil": math.ceil,
    "int": lambda x: int(x),
    "abs": abs,
    "round": _stata_round,
    "min": min,
    "max": max,
    "substr": _substr,
    "string": lambda x, fmt=None: _format(x) if fmt is None else _fmt(x, fmt),
    "strofreal": lambda x, fmt=None: _format(x) if fmt is None else _fmt(x, fmt),
    "real": lambda s: float(s),
    "strlen": len,
    "length": len,
    "upper": str.upper,
    "lower": str.lower,
    "trim": str.strip,
}


def _fmt(x, fmt):
    m = re.fullmatch(r"%0?(\d*)\.(\d+)f", fmt)
    if not m:
        raise ValueError(fmt)
    width = m.group(1) or "0"
    zero = "0" if fmt.startswith("%0") else ""
    return ("{:" + zero + width + "." + m.group(2) + "f}").format(x)


def _format(value):
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value)).lstrip("0") if 0 < abs(value) < 1 else repr(float(value))


def _eval(node):
    if isinstance(node, ast.Expression):
        return _eval(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
        v = _eval(node.operand)
        if isinstance(node.op, ast.Not):
            return int(not v)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left), _eval(node.right)
        ops = {
            ast.Add: lambda: a + b,
            ast.Sub: lambda: a - b,
            ast.Mult: lambda: a * b,
            ast.Div: lambda: a / b,
            ast.Pow: lambda: a**b,
        }
        for kind, fn in ops.items():
            if isinstance(node.op, kind):
                return fn()
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        a, b = _eval(node.left), _eval(node.comparators[0])
        ops = {
            ast.Eq: a == b,
            ast.NotEq: a != b,
            ast.Lt: a < b,
            ast.LtE: a <= b,
            ast.Gt: a > b,
            ast.GtE: a >= b,
        }
        for kind, value in ops.items():
            if isinstance(node.ops[0], kind):
                return int(value)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        fn = FUNCTIONS.get(node.func.id)
        if fn and not node.keywords:
            return fn(*[_eval(a) for a in node.args])
    raise ValueError("unsupported")


def evaluate(expr):
    """The text a local gets from ``local x = expr``, or None if the checker cannot tell."""
    text = expr.strip()
    if not text or re.search(r"(?<![\w.])\.(?![\d])|\b_n\b|\b_N\b|\[|`", text):
        return None
    text = text.replace("^", "**").replace("~=", "!=")
    if re.search(r"(?<![=!<>])=(?!=)", text) or "&" in text or "|" in text:
        return None
    try:
        value = _eval(ast.parse(text, mode="eval"))
    except (SyntaxError, ValueError, TypeError, ZeroDivisionError, OverflowError):
        return None
    return _format(value)
