r"""Loads `grammars/*.lark` once and compiles their rules to regular expressions.

The grammar files are the single source of what a line means.  Lark's own
meta-grammar (`lark/grammars/lark.lark`) reads them; each rule is then translated
into one Python regular expression in which every named terminal becomes a named
group (`SECONDS` fills the field `seconds`).  Regular expressions keep the per-line
path fast: a record header is one `match`, an event one `fullmatch` among the few
rules whose literal first word equals the message's first word.  Terminals follow
regex semantics (backtracking, zero-width allowed), which is how the files are
written; a file Lark's meta-grammar rejects is reported with its file and line.

Conventions the grammar files follow (see `grammars/common.lark`):
  * `?event: a | b | …` in an `events_<family>.lark` file lists the family's events;
    each top-level alternative of an event rule is tried in order.
  * A terminal named like `_GLUE` fills no field; one defined as `INT` gives an int,
    as `DECIMAL` a float.
  * In `records.lark` every `<format>_record` rule is one record layout.
  * Character classes are ASCII (`re.ASCII`): `\w` is [A-Za-z0-9_], `\s` ASCII
    whitespace, as in the native parser (PCRE2 without Unicode properties), so
    both parsers read every line alike.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import LarkError

from analyzer.errors import GrammarError
from analyzer.vocab.resources import grammars_dir

_INT_TERMINAL = "INT"
_DECIMAL_TERMINAL = "DECIMAL"


@dataclass(frozen=True)
class EventPattern:
    """One alternative of one catalogued event rule, compiled."""

    event: str
    family: str
    branch: int
    regex: re.Pattern[str]
    kinds: dict[str, str]  # field name -> "int" | "float" | "str"
    first_words: tuple[str, ...]  # the message's possible first words; () if not fixed
    where: str  # "file.lark:line", for errors and docs
    required: str = ""  # longest literal every match contains: a cheap pre-test

    def __post_init__(self) -> None:
        numeric = tuple(
            (name, int if kind == "int" else float)
            for name, kind in self.kinds.items() if kind in ("int", "float")
        )
        object.__setattr__(self, "_numeric", numeric)
        # A group inside an optional part may be None; only then filter.
        optional = ")?" in self.regex.pattern or ")*" in self.regex.pattern
        object.__setattr__(self, "_optional", optional)

    def fields_of(self, match: re.Match[str]) -> dict[str, object]:
        """Typed fields of a successful match; absent optional parts are left out."""
        out: dict[str, object] = match.groupdict()
        for name, convert in self._numeric:  # type: ignore[attr-defined]
            value = out[name]
            if value is not None:
                out[name] = convert(value)
        if self._optional:  # type: ignore[attr-defined]
            return {k: v for k, v in out.items() if v is not None}
        return out


@dataclass
class Catalogue:
    """Every catalogued event, indexed by the literal first word of its message."""

    patterns: list[EventPattern]
    families: dict[str, list[str]]  # family -> event names in file order
    by_word: dict[str, list[EventPattern]] = field(default_factory=dict)
    wildcard: list[EventPattern] = field(default_factory=list)
    unindexed: list[EventPattern] = field(default_factory=list)  # no first word, no literal
    multiline: list[EventPattern] = field(default_factory=list)  # span continuation lines
    needle_regex: str = ""  # any wildcard rule's required literal, as one regex

    def __post_init__(self) -> None:
        for pattern in self.patterns:
            if not pattern.first_words:
                self.wildcard.append(pattern)
            for word in pattern.first_words:
                self.by_word.setdefault(word, []).append(pattern)
        self.multiline = [p for p in self.patterns if "\n" in p.regex.pattern]
        needles = sorted({p.required for p in self.wildcard if p.required})
        self.unindexed = [p for p in self.wildcard if not p.required]
        self.needle_regex = "|".join(re.escape(n) for n in needles)

    @property
    def events(self) -> list[str]:
        """All catalogued event names, family by family."""
        return [name for names in self.families.values() for name in names]

    def candidates(self, first_word: str) -> list[EventPattern]:
        """The patterns a message starting with `first_word` can match, in order."""
        return self.by_word.get(first_word, []) + self.wildcard

    def match(self, message: str) -> tuple[str, dict[str, object]] | None:
        """Type one message: `(event, fields)`, or None when no event matches."""
        for pattern in self.candidates(message.split(" ", 1)[0]):
            found = pattern.regex.fullmatch(message)
            if found:
                return pattern.event, pattern.fields_of(found)
        return None


@dataclass(frozen=True)
class RecordLayout:
    """One `<format>_record` rule of `records.lark`, compiled."""

    name: str
    regex: re.Pattern[str]
    groups: tuple[str, ...]


@dataclass
class Records:
    """Record layouts plus the context-block and message-suffix rules."""

    layouts: dict[str, RecordLayout]
    request_context: re.Pattern[str]
    suffixes: re.Pattern[str]  # DEBUG ` func path:line` or journald `{{(pid=N) …}}`
    # Every suffix starts with `suffix_first` and holds at most `suffix_spaces` of it
    # (0 when a terminal could match one): the native parser tries only those starts.
    suffix_first: str = ""
    suffix_spaces: int = 0


# --------------------------------------------------------------------------- loading


@lru_cache(maxsize=1)
def _meta_parser() -> Lark:
    return Lark.open_from_package(
        "lark", "lark.lark", ("grammars",), parser="lalr", propagate_positions=True
    )


@dataclass
class _GrammarFile:
    path: Path
    rules: dict[str, Tree] = field(default_factory=dict)
    rule_lines: dict[str, int] = field(default_factory=dict)
    rule_order: list[str] = field(default_factory=list)
    tokens: dict[str, Tree] = field(default_factory=dict)
    imports: dict[str, str] = field(default_factory=dict)  # local name -> module stem


def _read(path: Path) -> _GrammarFile:
    try:
        text = path.read_text(encoding="utf-8")
        tree = _meta_parser().parse(text)
    except OSError as exc:
        raise GrammarError(f"{path}: cannot read grammar: {exc.strerror}") from exc
    except LarkError as exc:
        line = getattr(exc, "line", "?")
        raise GrammarError(f"{path.name}:{line}: not a valid Lark grammar: {exc}") from exc
    parsed = _GrammarFile(path)
    for item in tree.children:
        if not isinstance(item, Tree):
            continue
        if item.data == "rule":
            name = str(item.children[0]).lstrip("!?")
            parsed.rules[name] = item.children[-1]
            parsed.rule_lines[name] = item.meta.line
            parsed.rule_order.append(name)
        elif item.data == "token":
            parsed.tokens[str(item.children[0])] = item.children[-1]
        elif item.data == "multi_import":
            module = "".join(str(t) for t in item.children[0].scan_values(lambda v: True))
            stem = module.lstrip(".")
            for name_tree in item.children[1].children:
                parsed.imports[str(name_tree.children[0])] = stem
    return parsed


class _Compiler:
    """Translates the rules of one grammar file (plus its imports) to regex source."""

    def __init__(self, grammar: _GrammarFile, directory: Path) -> None:
        self.grammar = grammar
        self.tokens: dict[str, Tree] = dict(grammar.tokens)
        for name, stem in grammar.imports.items():
            imported = _read(directory / f"{stem}.lark")
            if name not in imported.tokens:
                raise GrammarError(f"{grammar.path.name}: %import of unknown terminal {name}")
            self.tokens[name] = imported.tokens[name]

    # Field kinds ------------------------------------------------------------
    def kind(self, token: str) -> str:
        if token == _INT_TERMINAL:
            return "int"
        if token == _DECIMAL_TERMINAL:
            return "float"
        body = self.tokens.get(token)
        refs = list(body.find_data("name")) if body is not None else []
        literals = list(body.find_data("literal")) if body is not None else []
        if len(refs) == 1 and not literals:
            return self.kind(str(refs[0].children[0]))
        return "str"

    # Translation ------------------------------------------------------------
    def rule(self, name: str, groups: dict[str, str]) -> str:
        if name not in self.grammar.rules:
            raise GrammarError(f"{self.grammar.path.name}: unknown rule {name}")
        return self.node(self.grammar.rules[name], groups, capture=True)

    def node(self, node: Tree | Token | None, groups: dict[str, str], capture: bool) -> str:
        if node is None:
            return ""
        if isinstance(node, Token):
            raise GrammarError(f"{self.grammar.path.name}: unexpected token {node!r}")
        kind = node.data
        if kind in ("expansions",):
            return "(?:" + "|".join(self.node(c, groups, capture) for c in node.children) + ")"
        if kind == "alias":
            return self.node(node.children[0], groups, capture)
        if kind == "expansion":
            return "".join(self.node(c, groups, capture) for c in node.children)
        if kind == "expr":
            inner = self.node(node.children[0], groups, capture)
            op = node.children[1] if len(node.children) > 1 else None
            if op is None:
                return inner
            if str(op) in "?*+":
                return f"(?:{inner}){op}"
            raise GrammarError(f"{self.grammar.path.name}:{node.meta.line}: unsupported operator {op}")
        if kind == "maybe":
            return "(?:" + self.node(node.children[0], groups, capture) + ")?"
        if kind == "literal":
            return _literal(str(node.children[0]), self.grammar.path.name)
        if kind == "name":
            return self.name(str(node.children[0]), groups, capture, node)
        raise GrammarError(
            f"{self.grammar.path.name}:{node.meta.line}: construct '{kind}' is not supported here"
        )

    def name(self, name: str, groups: dict[str, str], capture: bool, where: Tree) -> str:
        if name[0].islower() or name.lstrip("_")[0].islower():
            return self.rule(name, groups)
        if name not in self.tokens:
            raise GrammarError(f"{self.grammar.path.name}:{where.meta.line}: unknown terminal {name}")
        inner = self.node(self.tokens[name], groups, capture=False)
        if not capture or name.startswith("_"):
            return f"(?:{inner})"
        group = name.lower()
        if group in groups:
            raise GrammarError(
                f"{self.grammar.path.name}:{where.meta.line}: terminal {name} is used twice in one "
                "alternative; give the second use its own terminal name"
            )
        groups[group] = self.kind(name)
        return f"(?P<{group}>{inner})"

    def required_literal(self, node: Tree) -> str:
        """The longest literal that every match of a branch contains."""
        items = node.children if node.data == "expansion" else [node]
        best = ""
        for item in items:
            if isinstance(item, Tree) and item.data == "alias":
                item = item.children[0]
            if (
                isinstance(item, Tree)
                and item.data == "expr"
                and (len(item.children) < 2 or item.children[1] is None)
                and isinstance(item.children[0], Tree)
                and item.children[0].data == "literal"
                and str(item.children[0].children[0]).startswith('"')
            ):
                text = ast.literal_eval(str(item.children[0].children[0]))
                if len(text) > len(best):
                    best = text
        return best

    def first_words(self, node: Tree) -> tuple[str, ...]:
        """Possible first words of a branch's messages; () when they are not a fixed set."""
        prefix, all_literal = self.leading_literal(node)
        if " " in prefix:
            return (prefix.split(" ", 1)[0],)
        if all_literal and prefix:
            return (prefix,)
        if prefix:
            return ()
        # A leading terminal that is a plain alternation of words, then a literal space.
        items = node.children if node.data == "expansion" else [node]
        if len(items) < 2:
            return ()
        first, second = items[0], items[1]
        words = self._word_alternation(first)
        follows = self._plain_literal(second)
        if words and follows is not None and follows.startswith(" "):
            return words
        return ()

    def _word_alternation(self, item: Tree | Token) -> tuple[str, ...]:
        if not (isinstance(item, Tree) and item.data == "expr" and
                (len(item.children) < 2 or item.children[1] is None)):
            return ()
        ref = item.children[0]
        if not (isinstance(ref, Tree) and ref.data == "name"):
            return ()
        name = str(ref.children[0])
        body = self.tokens.get(name)
        literals = list(body.find_data("literal")) if body is not None else []
        if len(literals) != 1 or list(body.find_data("name")):  # type: ignore[union-attr]
            return ()
        text = str(literals[0].children[0])
        if not text.startswith("/"):
            return ()
        source = text[1:].rpartition("/")[0]
        if not re.fullmatch(r"[\w-]+(\|[\w-]+)*", source):
            return ()
        return tuple(source.split("|"))

    def _plain_literal(self, item: Tree | Token) -> str | None:
        if (isinstance(item, Tree) and item.data == "expr"
                and (len(item.children) < 2 or item.children[1] is None)
                and isinstance(item.children[0], Tree) and item.children[0].data == "literal"
                and str(item.children[0].children[0]).startswith('"')):
            return ast.literal_eval(str(item.children[0].children[0]))
        return None

    def leading_literal(self, node: Tree) -> tuple[str, bool]:
        """Literal text a branch must start with, and whether the branch is all literal."""
        items = node.children if node.data == "expansion" else [node]
        prefix = ""
        for item in items:
            if isinstance(item, Tree) and item.data == "alias":
                item = item.children[0]
            if (
                isinstance(item, Tree)
                and item.data == "expr"
                and (len(item.children) < 2 or item.children[1] is None)
                and isinstance(item.children[0], Tree)
                and item.children[0].data == "literal"
                and str(item.children[0].children[0]).startswith('"')
            ):
                prefix += ast.literal_eval(str(item.children[0].children[0]))
                continue
            return prefix, False
        return prefix, True


def _literal(text: str, where: str) -> str:
    if text.startswith('"'):
        if text.endswith("i"):
            return "(?i:" + re.escape(ast.literal_eval(text[:-1])) + ")"
        return re.escape(ast.literal_eval(text))
    body, _, flags = text[1:].rpartition("/")
    body = body.replace("\\/", "/")
    if flags:
        return f"(?{flags}:{body})"
    try:
        re.compile(body)
    except re.error as exc:
        raise GrammarError(f"{where}: bad regular expression /{body}/: {exc}") from exc
    return body


def _branches(body: Tree) -> list[Tree]:
    if body.data == "expansions":
        return list(body.children)
    return [body]


def compile_catalogue(directory: Path) -> Catalogue:
    """Compile every `events_*.lark` in `directory` (families in file-name order)."""
    patterns: list[EventPattern] = []
    families: dict[str, list[str]] = {}
    files = sorted(directory.glob("events_*.lark"))
    if not files:
        raise GrammarError(f"{directory}: no events_*.lark grammar files")
    for path in files:
        family = path.stem.removeprefix("events_")
        grammar = _read(path)
        if "event" not in grammar.rules:
            raise GrammarError(f"{path.name}: no '?event:' rule listing the family's events")
        compiler = _Compiler(grammar, directory)
        names = [
            str(ref.children[0])
            for alias in _branches(grammar.rules["event"])
            for ref in alias.find_data("name")
        ]
        families[family] = names
        for name in names:
            if name not in grammar.rules:
                raise GrammarError(f"{path.name}: event {name} is listed but has no rule")
            where = f"{path.name}:{grammar.rule_lines[name]}"
            for index, branch in enumerate(_branches(grammar.rules[name])):
                groups: dict[str, str] = {}
                source = compiler.node(branch, groups, capture=True)
                try:
                    regex = re.compile(source, re.DOTALL | re.ASCII)
                except re.error as exc:
                    raise GrammarError(f"{where}: rule {name} compiles to a bad regex: {exc}") from exc
                body = branch.children[0] if branch.data == "alias" else branch
                patterns.append(
                    EventPattern(name, family, index, regex, groups,
                                 compiler.first_words(body), where,
                                 compiler.required_literal(body))
                )
    return Catalogue(patterns, families)


def compile_records(directory: Path) -> Records:
    """Compile the record layouts of `records.lark`."""
    path = directory / "records.lark"
    grammar = _read(path)
    compiler = _Compiler(grammar, directory)
    layouts: dict[str, RecordLayout] = {}
    for name in grammar.rule_order:
        if not name.endswith("_record"):
            continue
        groups: dict[str, str] = {}
        source = compiler.rule(name, groups)
        layouts[name.removesuffix("_record")] = RecordLayout(
            name.removesuffix("_record"), re.compile(source, re.ASCII), tuple(groups)
        )
    if not layouts:
        raise GrammarError(f"{path.name}: no <format>_record rules")
    context = compiler.rule("request_context", {})
    suffix_rules = ("debug_suffix", "journald_suffix")
    suffixes = "|".join(compiler.node(grammar.rules[name], {}, capture=False) for name in suffix_rules)
    first, spaces = _suffix_bounds(compiler, [grammar.rules[name] for name in suffix_rules])
    return Records(layouts, re.compile(context, re.ASCII), re.compile(f"(?:{suffixes})$", re.ASCII),
                   first, spaces)


def _suffix_bounds(compiler: _Compiler, bodies: list[Tree]) -> tuple[str, int]:
    """First character of every suffix and the most of it one match can hold (0: unbounded)."""
    firsts, most = set(), 0
    for body in bodies:
        literals = [ast.literal_eval(str(t.children[0])) for t in body.find_data("literal")
                    if str(t.children[0]).startswith('"')]
        if not literals or not literals[0]:
            return "", 0
        firsts.add(literals[0][0])
        for ref in body.find_data("name"):
            name = str(ref.children[0])
            if name in compiler.tokens:
                pattern = compiler.node(compiler.tokens[name], {}, capture=False)
                if re.search(pattern, literals[0][0]):
                    return "", 0
        most = max(most, sum(text.count(literals[0][0]) for text in literals))
    return (firsts.pop(), most) if len(firsts) == 1 else ("", 0)


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The event catalogue of the installed grammars, compiled once per process."""
    return compile_catalogue(grammars_dir())


@lru_cache(maxsize=1)
def records() -> Records:
    """The record layouts of the installed grammars, compiled once per process."""
    return compile_records(grammars_dir())
