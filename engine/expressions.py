"""The only place a BPMN expression or script is evaluated: a small AST interpreter, never eval/exec.

Diagrams are untrusted input. Text is parsed with ``ast.parse``, every node is checked against a
whitelist, and the tree is walked by :class:`_Interpreter` with bounded source size, node count,
nesting depth, steps, work, result sizes and memory: every value an evaluation creates (a list,
tuple, set or dict literal, a repetition, a concatenation, a slice, a function's result) is charged
at the size it would have in the saved state, where a shared reference is written out again each
time, against :data:`MAX_MEMORY`. Values only flow through operators and the pure
functions in :data:`FUNCTIONS`; attribute access does not exist, so no object method is reachable.

Also accepted: JUEL conditions ``${...}``/``#{...}`` (translated, then sandboxed the same way) and
bare ISO 8601 timer texts (``P2D``, ``R3/PT1H``, ``2025-01-01T08:00:00+07:00``), returned unchanged.
"""

from __future__ import annotations

import ast
import contextlib
import decimal
import functools
import operator
import re
import warnings
from collections.abc import Callable, Mapping, MutableMapping
from datetime import date
from decimal import Decimal
from typing import Any

from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.errors import ExpressionError
from engine.sandbox_memory import MemoryBudget

__all__ = ["FUNCTIONS", "ExpressionError", "SandboxEnvironment", "SandboxScriptEngine", "assigned_names",
           "check_expression", "check_script", "evaluate", "execute", "make_script_engine", "referenced_names",
           "translate_juel"]

MAX_SOURCE_CHARS = 4000
MAX_NODES = 1000
MAX_DEPTH = 64
MAX_STEPS = 20_000
MAX_WORK = 1_000_000  # element visits done by operators/functions (a string counts 1 per 64 chars)
MAX_LEN = 100_000  # items of a list/tuple/dict/set, characters of a string
MAX_MEMORY = 1_000_000  # characters of data one evaluation may create, counted as saved (engine/sandbox_memory.py)
MAX_INT_BITS = 4096
MAX_EXPONENT = 64
MAX_NDIGITS = 64


# --- safe functions -------------------------------------------------------------------------------

def _to_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    with contextlib.suppress(ValueError, TypeError, AttributeError):
        return date.fromisoformat(value.strip()[:10])
    raise ExpressionError(f"Giá trị {value!r} không phải ngày dạng YYYY-MM-DD")


def date_diff_days(start: Any, end: Any) -> int:
    """Calendar days from ``start`` to ``end`` (ISO dates 'YYYY-MM-DD'); negative if end is earlier."""
    return (_to_date(end) - _to_date(start)).days


def contains(seq: Any, item: Any) -> bool:
    """True when ``item`` is in the list/dict/string ``seq``; False when ``seq`` is None."""
    return seq is not None and item in seq


def is_empty(value: Any) -> bool:
    """JUEL ``empty``: True for None, '' and empty collections."""
    return value is None or (isinstance(value, str | list | tuple | dict | set) and len(value) == 0)


def _integral(value: Any) -> Any:
    """Refuse a Decimal too large to become a bounded int (Decimal exponents reach 999999)."""
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() > MAX_INT_BITS * 3 // 10:
        raise ExpressionError("Số nguyên quá lớn")
    return value


def _round(value: Any, ndigits: int | None = None) -> Any:
    if ndigits is not None and (not isinstance(ndigits, int) or abs(ndigits) > MAX_NDIGITS):
        raise ExpressionError(f"Số chữ số làm tròn phải là số nguyên trong khoảng ±{MAX_NDIGITS}")
    return round(_integral(value) if ndigits is None else value, ndigits)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ExpressionError(f"Cần một chuỗi, nhận được {type(value).__name__}")
    return value


FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "abs": lambda x: abs(x), "bool": lambda x: bool(x), "float": lambda x: float(x),
    "int": lambda x: int(_integral(x)), "len": lambda x: len(x), "str": lambda x: str(x),
    "round": _round, "sum": lambda items: sum(items),
    "max": lambda *args: max(args[0]) if len(args) == 1 else max(args),
    "min": lambda *args: min(args[0]) if len(args) == 1 else min(args),
    "lower": lambda s: _text(s).lower(), "upper": lambda s: _text(s).upper(), "strip": lambda s: _text(s).strip(),
    "startswith": lambda s, prefix: _text(s).startswith(_text(prefix)),
    "endswith": lambda s, suffix: _text(s).endswith(_text(suffix)),
    "contains": contains, "is_empty": is_empty, "date_diff_days": date_diff_days,
}
"""The only callables an expression can reach: pure, positional-only in use, results bounded."""


# --- parsing and static checks --------------------------------------------------------------------

_BINOPS: dict[type[ast.operator], tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", operator.add), ast.Sub: ("-", operator.sub), ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv), ast.FloorDiv: ("//", operator.floordiv),
    ast.Mod: ("%", operator.mod), ast.Pow: ("**", operator.pow),
}
_UNARYOPS: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.Not: operator.not_, ast.USub: operator.neg,
                                                              ast.UAdd: operator.pos}
_CMPOPS: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}
_OP_SYMBOLS = {ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&",
               ast.MatMult: "@", ast.Invert: "~"}
_PLAIN_NODES = (ast.Expression, ast.BoolOp, ast.Compare, ast.IfExp, ast.List, ast.Tuple, ast.Set,
                ast.Subscript, ast.Slice)
_SCRIPT_NODES = (ast.Module, ast.If, ast.Pass)
_REFUSED = {
    ast.Lambda: "hàm lambda",
    ast.ListComp: "biểu thức bao hàm", ast.SetComp: "biểu thức bao hàm",
    ast.DictComp: "biểu thức bao hàm", ast.GeneratorExp: "biểu thức sinh",
    ast.JoinedStr: "f-string", ast.FormattedValue: "f-string",
    ast.NamedExpr: "toán tử ':='", ast.Starred: "giải nén '*'",
    ast.For: "vòng lặp for", ast.While: "vòng lặp while",
    ast.FunctionDef: "định nghĩa hàm", ast.AsyncFunctionDef: "định nghĩa hàm",
    ast.ClassDef: "định nghĩa lớp", ast.Import: "import", ast.ImportFrom: "import",
    ast.With: "with", ast.Try: "try", ast.Raise: "raise", ast.Delete: "del", ast.Global: "global",
    ast.Nonlocal: "nonlocal", ast.Return: "return", ast.Assert: "assert", ast.Await: "await",
    ast.Yield: "yield", ast.YieldFrom: "yield", ast.AnnAssign: "gán có chú thích kiểu",
}
_SKIPPED = (ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)


def _refuse(what: str) -> ExpressionError:
    return ExpressionError(f"Không cho phép {what}")


def _check_assignment(script: bool, targets: list[ast.expr]) -> None:
    if not script:
        raise _refuse("phép gán trong biểu thức")
    if not all(isinstance(t, ast.Name) for t in targets):
        raise ExpressionError("Chỉ được gán cho một tên biến")


def _check_node(node: ast.AST, script: bool) -> None:
    """Refuse one node that is not on the whitelist, naming the construct."""
    if isinstance(node, ast.Constant):
        if node.value is not None and not isinstance(node.value, str | int | float):
            raise _refuse(f"hằng số kiểu {type(node.value).__name__}")
    elif isinstance(node, ast.Name):
        if node.id.startswith("_"):
            raise _refuse(f"tên bắt đầu bằng '_' ('{node.id}')")
    elif isinstance(node, ast.Attribute):
        raise ExpressionError(
            f"Không cho phép truy cập thuộc tính '.{node.attr}'")
    elif isinstance(node, ast.BinOp | ast.AugAssign | ast.UnaryOp):
        if type(node.op) not in _BINOPS and type(node.op) not in _UNARYOPS:
            raise _refuse(f"toán tử '{_OP_SYMBOLS.get(type(node.op), type(node.op).__name__)}'")
        if isinstance(node, ast.AugAssign):
            _check_assignment(script, [node.target])
    elif isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name is None or name not in FUNCTIONS:
            label = name if name is not None else ast.unparse(node.func)
            raise ExpressionError(f"Không cho phép gọi hàm '{label}' (function '{label}' is not allowed); "
                                  f"các hàm được phép: {', '.join(sorted(FUNCTIONS))}")
        if node.keywords:
            raise _refuse("đối số có tên hoặc '**' trong lời gọi hàm")
    elif isinstance(node, ast.Dict):
        if any(key is None for key in node.keys):
            raise _refuse("giải nén '**'")
    elif isinstance(node, ast.Assign):
        _check_assignment(script, node.targets)
    elif isinstance(node, ast.Expr):
        if not isinstance(node.value, ast.Call):
            raise _refuse("câu lệnh chỉ gồm một biểu thức")
    elif isinstance(node, _SCRIPT_NODES):
        if not script:
            raise _refuse(f"câu lệnh {type(node).__name__} trong biểu thức")
    elif not isinstance(node, _PLAIN_NODES):
        raise _refuse(_REFUSED.get(type(node), f"cấu trúc '{type(node).__name__}'"))


@functools.lru_cache(maxsize=1024)
def _parse(source: str, script: bool) -> ast.AST:
    """Parse and check text (cached: conditions are evaluated again and again)."""
    if len(source) > MAX_SOURCE_CHARS:
        raise ExpressionError(f"Biểu thức quá dài: {len(source)} ký tự, tối đa {MAX_SOURCE_CHARS}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning/DeprecationWarning on odd literals
            tree = ast.parse(source, mode="exec" if script else "eval")
    except SyntaxError as exc:
        raise ExpressionError(f"Cú pháp không hợp lệ (syntax error): {exc.msg}, dòng {exc.lineno}, "
                              f"cột {exc.offset}") from exc
    except (RecursionError, MemoryError, ValueError) as exc:
        raise ExpressionError("Biểu thức lồng nhau quá sâu hoặc không đọc được") from exc
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ExpressionError("Biểu thức quá phức tạp")
        if depth > MAX_DEPTH:
            raise ExpressionError("Biểu thức lồng nhau quá sâu")
        _check_node(node, script)
        stack.extend((c, depth + 1) for c in ast.iter_child_nodes(node) if not isinstance(c, _SKIPPED))
    return tree


# --- JUEL and ISO 8601 ----------------------------------------------------------------------------

_JUEL_TOKEN = re.compile(r"""
    (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<name>[^\W\d]\w*)
  | (?P<op>&&|\|\||==|!=|<=|>=|.)
""", re.VERBOSE | re.DOTALL)
_JUEL_WORDS = {"true": "True", "false": "False", "null": "None", "eq": "==", "ne": "!=", "lt": "<",
               "gt": ">", "le": "<=", "ge": ">=", "div": "/", "mod": "%"}
_JUEL_WRAPPER = re.compile(r"\A\s*[$#]\{(.*)\}\s*\Z", re.DOTALL)

_NUM = r"\d+(?:[.,]\d+)?"
_DURATION = (rf"P(?=\d|T\d)(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}W)?(?:{_NUM}D)?"
             rf"(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?")
_DATETIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?"
_ISO_TEXT = re.compile(rf"\A(?:{_DURATION}|{_DATETIME}|R\d*(?:/(?:{_DURATION}|{_DATETIME})){{1,2}})\Z")


def translate_juel(text: str) -> str:
    """Turn a JUEL condition (``${a && !b}``, wrapper optional) into the sandbox's Python syntax."""
    wrapped = _JUEL_WRAPPER.match(text)
    body = wrapped.group(1) if wrapped else text
    tokens: list[tuple[str, str]] = []  # (kind, text); kind "ws" is kept to preserve spacing
    for match in _JUEL_TOKEN.finditer(body):
        kind, value = match.lastgroup or "op", match.group()
        if value.isspace():
            kind = "ws"
        prev = tokens[-1] if tokens else ("ws", "")
        if kind == "name" and prev == ("op", ".") and len(tokens) > 1 and (
                tokens[-2][0] in ("name", "str", "sub") or tokens[-2][1] in (")", "]")):
            tokens[-1] = ("sub", f"[{value!r}]")  # JUEL property access a.b reads a['b']
        elif kind == "name" and value in _JUEL_WORDS:
            tokens.append(("op" if value not in ("true", "false", "null") else "name", _JUEL_WORDS[value]))
        elif value in ("&&", "||", "!"):
            tokens.append(("op", {"&&": " and ", "||": " or ", "!": " not "}[value]))
        else:
            tokens.append((kind, value))
    for start in reversed([i for i, t in enumerate(tokens) if t == ("name", "empty")]):
        end = start + 1
        while end < len(tokens) and tokens[end][0] == "ws":
            end += 1
        end = _juel_operand_end(tokens, end)
        tokens[start:end] = [("name", "is_empty"), ("op", "("), *tokens[start + 1:end], ("op", ")")]
    return "".join(value for _, value in tokens).strip()


def _juel_operand_end(tokens: list[tuple[str, str]], i: int) -> int:
    """Index just past the operand of JUEL ``empty`` at ``i``: a value or (...), then [...] and .x suffixes."""
    depth = 0
    while i < len(tokens):
        kind, value = tokens[i]
        depth += (kind == "op" and value in ("(", "[")) - (kind == "op" and value in (")", "]"))
        i += 1
        if depth <= 0 and not (i < len(tokens) and (tokens[i][0] == "sub" or tokens[i] == ("op", "["))):
            break
    return i


def _prepare(text: str) -> str | None:
    """Python source to sandbox for an expression, or None when it is a bare ISO 8601 timer text."""
    if not isinstance(text, str):
        raise ExpressionError(f"Biểu thức phải là chuỗi, nhận được {type(text).__name__}")
    stripped = text.strip()
    if _ISO_TEXT.match(stripped):
        return None
    if _JUEL_WRAPPER.match(stripped):
        return translate_juel(stripped)
    return stripped


def check_expression(text: str) -> None:
    """Raise ExpressionError (with a Vietnamese message) if the expression would be refused."""
    source = _prepare(text)
    if source is not None:
        _parse(source, False)


def check_script(text: str) -> None:
    """Raise ExpressionError if the script would be refused."""
    _parse(text, True)


def referenced_names(text: str, script: bool = False) -> set[str]:
    """Variables an expression (or script) reads, for validation; called function names are not included."""
    source = text if script else _prepare(text)
    if source is None:
        return set()
    nodes = list(ast.walk(_parse(source, script)))
    called = {id(n.func) for n in nodes if isinstance(n, ast.Call)}
    read = [n for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and id(n) not in called]
    read += [n.target for n in nodes if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)]
    return {n.id for n in read if isinstance(n, ast.Name)}


def assigned_names(script: str) -> set[str]:
    """Variables a script sets (on any branch), for validation."""
    nodes = list(ast.walk(_parse(script, True)))
    targets = [t for n in nodes if isinstance(n, ast.Assign) for t in n.targets]
    targets += [n.target for n in nodes if isinstance(n, ast.AugAssign)]
    return {t.id for t in targets if isinstance(t, ast.Name)}


# --- the interpreter ------------------------------------------------------------------------------

class _Interpreter:
    """Walks a checked tree over layers of variables (first layer wins), counting steps and work."""

    def __init__(self, *layers: Mapping[str, Any] | None):
        self.layers = [layer for layer in layers if layer is not None]
        self.steps = 0
        self.work = 0
        self.budget = MemoryBudget(MAX_MEMORY)

    def allocate(self, value: Any) -> Any:
        """Charge a value the evaluation created against the memory budget."""
        return self.budget.allocate(value)

    def charge(self, *values: Any) -> int:
        """Count the elements an operator may touch; refuse before starting if over the budget."""
        before = self.work
        stack = list(values)
        while stack:
            value = stack.pop()
            if isinstance(value, str):
                self.work += 1 + len(value) // 64
            elif isinstance(value, int):
                self.work += 1 + value.bit_length() // 64
            else:
                self.work += 1
                if isinstance(value, list | tuple | set | frozenset | dict):
                    stack.extend(value.items() if isinstance(value, dict) else value)
            if self.work > MAX_WORK:
                raise ExpressionError("Biểu thức xử lý quá nhiều dữ liệu")
        return self.work - before

    @staticmethod
    def bounded(value: Any) -> Any:
        if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
            raise ExpressionError("Số nguyên quá lớn")
        if isinstance(value, str | list | tuple | dict | set) and len(value) > MAX_LEN:
            raise ExpressionError("Kết quả quá lớn")
        return value

    def eval(self, node: ast.AST) -> Any:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise ExpressionError("Biểu thức chạy quá nhiều bước")
        return self._DISPATCH[type(node)](self, node)

    def lookup(self, name: str) -> Any:
        for layer in self.layers:
            if name in layer:
                return layer[name]
        raise ExpressionError(f"Biến '{name}' chưa có giá trị")

    def _boolop(self, node: ast.BoolOp) -> Any:
        value: Any = None
        for operand in node.values:
            value = self.eval(operand)
            if (not value) if isinstance(node.op, ast.And) else value:
                return value
        return value

    def apply(self, what: str, function: Callable[..., Any], *args: Any) -> Any:
        """Run one operator or function; its failures become ExpressionErrors naming ``what``."""
        try:
            return self.allocate(self.bounded(function(*args)))
        except (ExpressionError, RecursionError, MemoryError):
            raise
        except ZeroDivisionError:
            raise ExpressionError("Phép chia cho 0") from None
        except TypeError:
            kinds = ", ".join(type(arg).__name__ for arg in args)
            raise ExpressionError(f"{what} không dùng được với kiểu {kinds}") from None
        except Exception as exc:
            raise ExpressionError(f"{what} không tính được (failed): {exc}") from None

    def binop(self, op: ast.operator, left: Any, right: Any) -> Any:
        symbol, function = _BINOPS[type(op)]
        self._guard(symbol, left, right)
        return self.apply(f"Phép '{symbol}'", function, left, right)

    def _guard(self, symbol: str, left: Any, right: Any) -> None:
        """Refuse before computing anything whose result or cost would exceed the limits."""
        sequences = (str, list, tuple)
        if symbol == "%" and isinstance(left, str):
            raise _refuse("định dạng chuỗi bằng '%'")
        if symbol == "*" and isinstance(left, sequences) != isinstance(right, sequences):
            seq, count = (left, right) if isinstance(left, sequences) else (right, left)
            if isinstance(count, int) and len(seq) * max(count, 0) > MAX_LEN:
                raise ExpressionError(f"Kết quả quá lớn: {len(seq)} × {count}, tối đa {MAX_LEN}")
            if isinstance(count, int) and count > 1 and not isinstance(seq, str):
                self.work += (self.charge(seq) - 1) * count  # the copies alias the same items
        elif symbol == "*" and isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
                raise ExpressionError("Số nguyên quá lớn")
        elif symbol == "+" and isinstance(left, sequences) and isinstance(right, sequences):
            if len(left) + len(right) > MAX_LEN:
                raise ExpressionError("Kết quả quá lớn")
        elif symbol == "**" and isinstance(right, int | float | Decimal):
            if not -MAX_EXPONENT <= right <= MAX_EXPONENT:
                raise ExpressionError(f"Số mũ quá lớn: {right}, tối đa {MAX_EXPONENT}")
            if isinstance(left, int) and isinstance(right, int) and left.bit_length() * right > MAX_INT_BITS:
                raise ExpressionError("Số nguyên quá lớn")
        self.charge(left, right)

    def _compare(self, node: ast.Compare) -> Any:
        left = self.eval(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.eval(comparator)
            self.charge(left, right)
            if not self.apply("Phép so sánh", _CMPOPS[type(op)], left, right):
                return False
            left = right
        return True

    def _call(self, node: ast.Call) -> Any:
        name = node.func.id  # type: ignore[attr-defined]  # checked to be an ast.Name
        args = [self.eval(arg) for arg in node.args]
        self.charge(*args)
        return self.apply(f"Hàm '{name}'", FUNCTIONS[name], *args)

    def _sequence(self, node: ast.List | ast.Tuple | ast.Set) -> Any:
        items = [self.eval(item) for item in node.elts]
        try:
            return self.allocate({ast.List: list, ast.Tuple: tuple, ast.Set: set}[type(node)](items))
        except TypeError:
            raise ExpressionError("Phần tử của tập hợp phải là giá trị đơn") from None

    def _dict(self, node: ast.Dict) -> Any:
        result = {}
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            key = self.eval(key_node)  # type: ignore[arg-type]  # '**' keys refused by the checker
            try:
                result[key] = self.eval(value_node)
            except TypeError:
                raise ExpressionError(f"Khóa kiểu {type(key).__name__} không hợp lệ") from None
        return self.allocate(result)

    def _subscript(self, node: ast.Subscript) -> Any:
        container = self.eval(node.value)
        if isinstance(node.slice, ast.Slice):
            bounds = [None if n is None else self.eval(n) for n in (node.slice.lower, node.slice.upper,
                                                                      node.slice.step)]
            index: Any = slice(*bounds)
        else:
            index = self.eval(node.slice)
        if not isinstance(container, str | list | tuple | dict):
            raise ExpressionError(f"Không lấy phần tử được từ {type(container).__name__}")
        try:
            result = container[index]
        except (KeyError, IndexError):
            raise ExpressionError(f"Không có phần tử/khóa {index!r}") from None
        except (TypeError, ValueError):
            raise ExpressionError(f"Chỉ số {index!r} không hợp lệ cho {type(container).__name__}") from None
        if isinstance(index, slice):
            self.charge(result)
            self.allocate(result)
        return result

    _DISPATCH: dict[type[ast.AST], Callable[[_Interpreter, Any], Any]] = {
        ast.Constant: lambda self, node: node.value, ast.Name: lambda self, node: self.lookup(node.id),
        ast.BoolOp: _boolop,
        ast.UnaryOp: lambda self, node: self.apply("Phép dấu", _UNARYOPS[type(node.op)], self.eval(node.operand)),
        ast.BinOp: lambda self, node: self.binop(node.op, self.eval(node.left), self.eval(node.right)),
        ast.Compare: _compare,
        ast.IfExp: lambda self, node: self.eval(node.body if self.eval(node.test) else node.orelse),
        ast.Call: _call,
        ast.List: _sequence, ast.Tuple: _sequence, ast.Set: _sequence, ast.Dict: _dict,
        ast.Subscript: _subscript, ast.Expression: lambda self, node: self.eval(node.body),
    }

    def run(self, statements: list[ast.stmt], context: MutableMapping[str, Any]) -> None:
        """Execute script statements, writing assigned names into ``context`` (the first layer)."""
        for stmt in statements:
            self.steps += 1
            if isinstance(stmt, ast.Assign):
                value = self.eval(stmt.value)
                for target in stmt.targets:
                    assert isinstance(target, ast.Name)
                    context[target.id] = value
            elif isinstance(stmt, ast.AugAssign):
                assert isinstance(stmt.target, ast.Name)
                name = stmt.target.id
                context[name] = self.binop(stmt.op, self.lookup(name), self.eval(stmt.value))
            elif isinstance(stmt, ast.If):
                self.run(stmt.body if self.eval(stmt.test) else stmt.orelse, context)
            elif isinstance(stmt, ast.Expr):
                self.eval(stmt.value)


def _guarded(action: Callable[[], Any]) -> Any:
    try:
        with decimal.localcontext(prec=28, Emax=999_999, Emin=-999_999):  # whatever the caller set
            return action()
    except RecursionError:
        raise ExpressionError("Dữ liệu hoặc biểu thức lồng nhau quá sâu") from None
    except MemoryError:
        raise ExpressionError("Biểu thức cần quá nhiều bộ nhớ") from None


def evaluate(expression: str, context: Mapping[str, Any], external: Mapping[str, Any] | None = None) -> Any:
    """Evaluate an expression (Python subset, JUEL ``${...}``, bare ISO 8601) over context, then external."""
    source = _prepare(expression)
    if source is None:
        return expression.strip()
    tree = _parse(source, False)
    return _guarded(lambda: _Interpreter(context, external).eval(tree))


def execute(script: str, context: MutableMapping[str, Any],
            external: Mapping[str, Any] | None = None) -> None:
    """Run a script (assignments, if/elif/else, pass); on success its variables are set in ``context``."""
    tree = _parse(script, True)
    assert isinstance(tree, ast.Module)
    assigned: dict[str, Any] = {}  # applied only if the whole script succeeds
    _guarded(lambda: _Interpreter(assigned, context, external).run(tree.body, assigned))
    context.update(assigned)


# --- SpiffWorkflow integration --------------------------------------------------------------------

class SandboxEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]  # SpiffWorkflow is untyped
    """SpiffWorkflow script environment that evaluates everything in the sandbox (no globals, no eval)."""

    def evaluate(self, expression: str, context: Mapping[str, Any],
                 external_context: Mapping[str, Any] | None = None) -> Any:
        """Evaluate with task data over data objects (task data wins on a clash)."""
        return evaluate(expression, context, external_context)

    def execute(self, script: str, context: MutableMapping[str, Any],
                external_context: Mapping[str, Any] | None = None) -> bool:
        """Run a script task's script; variables it assigns land in the task data."""
        execute(script, context, external_context)
        return True

    def call_service(self, context: Any, **kwargs: Any) -> Any:
        """Service tasks are not supported by LienThong diagrams."""
        raise ExpressionError("Không hỗ trợ service task")


class SandboxScriptEngine(PythonScriptEngine):  # type: ignore[misc]  # SpiffWorkflow is untyped
    """PythonScriptEngine whose evaluation and validation go through the sandbox."""

    def __init__(self, environment: BasePythonScriptEngineEnvironment | None = None) -> None:
        super().__init__(environment=environment or SandboxEnvironment())

    def validate(self, expression: str) -> None:
        """Check an expression; syntax errors stay SyntaxError (SpiffWorkflow's DMN relies on it)."""
        try:
            check_expression(expression)
        except ExpressionError as exc:
            if isinstance(exc.__cause__, SyntaxError):
                raise SyntaxError(str(exc)) from exc
            raise


def make_script_engine() -> SandboxScriptEngine:
    """A fresh script engine for BpmnWorkflow (set it again after every deserialization)."""
    return SandboxScriptEngine()
