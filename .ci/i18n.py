"""The Vietnamese edition: notebooks/vi/ and notebooks/vi/student/, generated from the English source and the
translation files notebooks/i18n/vi/NN_topic.yml.

    python .ci/i18n.py extract [NN ...]   # add an entry (vi empty) for every text not yet in a translation file
    python .ci/i18n.py export NN > F.txt   # a translator's work file: the English still to translate
    python .ci/i18n.py apply NN F.txt     # read the translated work file back into the translation file
    python .ci/i18n.py check [NN ...]     # report missing, stale, untranslated or formula-changing entries
    python .ci/i18n.py generate           # write the Vietnamese notebooks that differ (both editions)
    python .ci/i18n.py generate --check   # exit 1, naming them, if a Vietnamese notebook is out of date

What is translated: every markdown cell (speaker notes included: they are markdown cells), and in code cells
each comment block, each trailing comment and each docstring ("fragments"). Code, outputs, cell ids, slide
metadata and tags are the English source's. Directives stay as they are (NBVAL_*, BEGIN/END SOLUTION, noqa,
YOUR CODE HERE), and so does the shared setup cell (notebooks/_setup_cell.py, written by `make release`).

A translation file maps a cell id to {en_hash, en, vi} (markdown) or to {fragments: [{en_hash, en, vi}, ...]}
(code). `en_hash` is the hash of the English text the entry translates: when the English changes, `check`
names the entry as stale. To update stale entries, `export` them (it lists every stale or untranslated text),
translate and `apply`, which stores the current English and its hash with each translation. `same: true` marks a text that is the same in both languages (a formula
alone, commented-out code); `review` lists a reviewer's hand-checked sentences. Links that leave notebooks/
(`../figures/...`, `../GLOSSARY.md`) get one more `../` for the deeper folder.
"""
from __future__ import annotations

import ast
import hashlib
import importlib.util
import io
import re
import sys
import tokenize
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "notebooks"
TRANSLATIONS = SOURCE / "i18n" / "vi"
VI = SOURCE / "vi"
VI_STUDENT = VI / "student"
GLOSSARY = ROOT / "GLOSSARY.md"
_spec = importlib.util.spec_from_file_location("student_edition", ROOT / ".ci" / "student_edition.py")
student_edition = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("student_edition", student_edition)
_spec.loader.exec_module(student_edition)

#: Comments that tools read: never translated, and they end a comment block.
DIRECTIVE = re.compile(r"^\s*(NBVAL_\w+|BEGIN SOLUTION|END SOLUTION|YOUR CODE HERE|noqa\b|type:|pragma\b|fmt:)")
VIETNAMESE_LETTER = re.compile(r"[àáảãạăắằẳẵặâấầẩẫậèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵđ]", re.I)
#: What a translation keeps exactly (compared as multisets between the English and the Vietnamese text).
FENCE = re.compile(r"```.*?```", re.S)
DISPLAY_MATH = re.compile(r"\$\$.+?\$\$", re.S)
INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)[^$\n]+?(?<!\\)\$")
TEXT_IN_MATH = re.compile(r"\\text\{[^{}]*\}")
CODE_SPAN = re.compile(r"`[^`\n]+(?:\n[^`\n]+)*`")  # a code span may wrap, not across a blank line
LINK_TARGET = re.compile(r"\]\(([^)\s]+)\)|src=\"([^\"]+)\"")
NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")
HEADING = re.compile(r"^(#{1,6}) ", re.M)
TABLE_ROW = re.compile(r"^\s*\|", re.M)
ANSWER = "*Câu trả lời của bạn ở đây.*"
STUB = ("# YOUR CODE HERE (viết mã của bạn ở đây)", "raise NotImplementedError()")
#: The Vietnamese notebooks' first cell after the setup cell, added by the generator (skipped in the decks,
#: where a lecture slide has no room for it).
NOTICE_ID = "vi-notice"
NOTICE = ("> *Bản tiếng Việt, sinh tự động từ bản gốc tiếng Anh [{name}](../{name}): mã và kết quả giống hệt "
          "bản gốc. Kết quả in ra (output) giữ nguyên tiếng Anh, đúng như mã in ra.*")


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# ----------------------------------------------------------------------------------------------------------------
# Fragments of a code cell: comment blocks, trailing comments, docstrings
# ----------------------------------------------------------------------------------------------------------------

@dataclass
class Fragment:
    """A translatable piece of a code cell: characters start:end of the source, and its English text."""
    kind: str  # "comment" (a block of whole-line comments), "trailing" (after code) or "docstring"
    start: int
    end: int
    en: str
    indent: str = ""  # comment blocks: what precedes each line's `#`
    quote: str = ""  # docstrings: the literal's prefix and quotes


def _comment_text(token: str) -> str:
    text = token[1:]
    return text[1:] if text.startswith(" ") else text


def _translatable(text: str) -> bool:
    return bool(re.search(r"[A-Za-z]{2}", text)) and not DIRECTIVE.match(text)


def docstrings(tree: ast.AST):
    """The string constants that are docstrings (of the module, a function or a class) in a parsed cell."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                yield first.value


def code_fragments(source: str) -> list[Fragment]:
    """The translatable fragments of a cell's Python source, in order."""
    lines = source.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    fragments: list[Fragment] = []
    block: list[tuple[int, int, str]] = []  # (row, col, text) of consecutive whole-line comments

    def close_block():
        if block:
            (row0, col0, _), (row1, _, _) = block[0], block[-1]
            fragments.append(Fragment("comment", offsets[row0 - 1] + col0, offsets[row1 - 1] + len(lines[row1 - 1]),
                                      "\n".join(text for _, _, text in block), indent=lines[row0 - 1][:col0]))
            block.clear()

    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type != tokenize.COMMENT:
            if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                close_block()
            continue
        (row, col), text = tok.start, _comment_text(tok.string)
        whole_line = not lines[row - 1][:col].strip()
        if not whole_line or not _translatable(text):
            close_block()
            if not whole_line and _translatable(text):
                fragments.append(Fragment("trailing", offsets[row - 1] + col, offsets[row - 1] + len(lines[row - 1]),
                                          text))
            continue
        if block and (block[-1][0] != row - 1 or block[-1][1] != col):
            close_block()
        block.append((row, col, text))
    close_block()

    for value in docstrings(ast.parse(source)):
        start = offsets[value.lineno - 1] + len(lines[value.lineno - 1].encode()[:value.col_offset].decode())
        end = offsets[value.end_lineno - 1] + len(lines[value.end_lineno - 1].encode()[:value.end_col_offset].decode())
        literal = source[start:end]
        prefix = re.match(r"[rRuUbBfF]*", literal)[0]
        quote = next(q for q in ('"""', "'''", '"', "'") if literal[len(prefix):].startswith(q))
        body = literal[len(prefix) + len(quote):-len(quote)]
        if _translatable(body):
            fragments.append(Fragment("docstring", start, end, body, quote=prefix + quote))
    return sorted(fragments, key=lambda f: f.start)


def render_fragment(fragment: Fragment, vi: str) -> str:
    if fragment.kind == "comment":
        return ("\n" + fragment.indent).join(("# " + line).rstrip() for line in vi.split("\n"))
    if fragment.kind == "trailing":
        return "# " + vi
    quote = fragment.quote.lstrip("rRuUbBfF")
    return fragment.quote + vi + quote


def translated_code(source: str, translation: dict[str, str]) -> str:
    """The source with each fragment replaced by its translation (a dict from English hash to Vietnamese)."""
    out = source
    for fragment in reversed(code_fragments(source)):
        out = out[:fragment.start] + render_fragment(fragment, translation[text_hash(fragment.en)]) + out[fragment.end:]
    return out


def code_without_prose(source: str) -> str:
    """The cell's AST with docstrings blanked: what a translation must leave unchanged."""
    tree = ast.parse(source)
    for value in docstrings(tree):
        value.value = ""
    return ast.dump(tree)


# ----------------------------------------------------------------------------------------------------------------
# Translation files
# ----------------------------------------------------------------------------------------------------------------

class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper, data):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def save(path: Path, data: dict) -> None:
    header = (f"# Vietnamese translation of notebooks/{data['notebook']} (see .ci/i18n.py). Edit `vi` only; "
              "formulas, code spans, numbers\n# and links stay exactly as in `en`.\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000),
                    encoding="utf-8")


def source_notebooks() -> list[Path]:
    return sorted(SOURCE.glob("[0-9]*.ipynb"))


def translation_path(notebook: Path) -> Path:
    return TRANSLATIONS / (notebook.stem + ".yml")


def is_shared(cell) -> bool:
    """The setup cell, the same in every notebook and written by `make release`: left as it is."""
    return "setup" in cell.metadata.get("tags", [])


def translatable_cells(nb):
    for cell in nb.cells:
        if is_shared(cell):
            continue
        if cell.cell_type == "markdown" and cell.source.strip():
            yield cell, None
        elif cell.cell_type == "code":
            fragments = code_fragments(cell.source)
            if fragments:
                yield cell, fragments


def english_texts(nb) -> list[str]:
    """Every translatable English text of a notebook: markdown cells and code fragments."""
    return [cell.source if fragments is None else "\n".join(f.en for f in fragments)
            for cell, fragments in translatable_cells(nb)]


def extract(notebook: Path, path: Path | None = None) -> int:
    """Add the entries a translation file lacks (and fill `en`/`en_hash` of a markdown entry whose `en_hash` was
    deleted)."""
    nb = nbformat.read(notebook, as_version=4)
    path = path or translation_path(notebook)
    data = load(path) if path.exists() else {}
    old = data.get("cells") or {}
    cells, added = {}, 0
    for cell, fragments in translatable_cells(nb):
        entry = old.pop(cell.id, None)
        if fragments is None:
            entry = entry or {"en_hash": None, "en": None, "vi": ""}
            if not entry.get("en_hash"):
                entry["en_hash"], entry["en"] = text_hash(cell.source), cell.source
                added += 1
            cells[cell.id] = {"en_hash": entry["en_hash"], "en": entry["en"], "vi": entry.get("vi") or "",
                              **{k: v for k, v in entry.items() if k not in ("en_hash", "en", "vi")}}
        else:
            kept = list((entry or {}).get("fragments") or [])
            known = {f.get("en_hash") for f in kept}
            for fr in fragments:
                if text_hash(fr.en) not in known:
                    kept.append({"en_hash": text_hash(fr.en), "en": fr.en, "vi": ""})
                    known.add(text_hash(fr.en))
                    added += 1
            order = {text_hash(fr.en): i for i, fr in enumerate(fragments)}
            kept.sort(key=lambda f: order.get(f.get("en_hash"), len(order)))
            cells[cell.id] = {"fragments": kept}
    cells.update(old)  # entries of cells that are gone stay, so that `check` names them
    save(path, {"notebook": notebook.name, "cells": cells, "review": data.get("review") or []})
    return added


def kept_exactly(text: str) -> Counter:
    """What a translation must keep: formulas (but the words in their \\text{...}), code spans, fenced blocks, link
    targets, numbers."""
    kept = Counter()
    rest = text
    for pattern in (FENCE, DISPLAY_MATH, INLINE_MATH, CODE_SPAN):
        found = [" ".join(f.split()) for f in pattern.findall(rest)]  # line breaks move in translation
        if pattern in (DISPLAY_MATH, INLINE_MATH):  # the words of a formula's \text{...} are translated
            found = [TEXT_IN_MATH.sub(r"\\text{}", f) for f in found]
        kept.update(found)
        rest = pattern.sub(" ", rest)
    kept.update("link " + (a or b) for a, b in LINK_TARGET.findall(rest))
    rest = LINK_TARGET.sub(" ", rest)
    kept.update("number " + n for n in NUMBER.findall(rest))
    return kept


def _structure(text: str) -> tuple:
    return tuple(HEADING.findall(text)), len(TABLE_ROW.findall(text))


def entry_problems(en: str, entry: dict, where: str, markdown: bool) -> list[str]:
    """What is wrong with one translated text (empty when nothing)."""
    vi = entry.get("vi") or ""
    if not vi.strip():
        return [f"{where}: not translated"]
    problems = []
    if not entry.get("same"):
        if vi.strip() == en.strip():
            problems.append(f"{where}: `vi` is the English text (mark it `same: true` if it has no prose)")
        elif not VIETNAMESE_LETTER.search(vi):
            problems.append(f"{where}: `vi` has no Vietnamese letter: still English?")
    lost, added = kept_exactly(en) - kept_exactly(vi), kept_exactly(vi) - kept_exactly(en)
    if lost or added:
        problems.append(f"{where}: formulas, code spans, links or numbers differ: only in en {sorted(lost)}, "
                        f"only in vi {sorted(added)}")
    if markdown and _structure(en) != _structure(vi):
        problems.append(f"{where}: headings or table rows differ: en {_structure(en)}, vi {_structure(vi)}")
    return problems


def fragment_problems(fragment: Fragment, entry: dict, where: str) -> list[str]:
    problems = entry_problems(fragment.en, entry, where, markdown=False)
    vi = entry.get("vi") or ""
    if fragment.kind == "trailing" and "\n" in vi:
        problems.append(f"{where}: a trailing comment's translation must be one line")
    if fragment.kind == "docstring" and (fragment.quote.lstrip("rRuUbBfF") in vi or vi.endswith(("\\", '"', "'"))):
        problems.append(f"{where}: the docstring's translation contains or ends with its quotes")
    return problems


def problems(notebook: Path, path: Path | None = None) -> list[str]:
    """Everything that keeps a notebook's translation (its file in notebooks/i18n/vi/, or `path`) from being
    complete and current."""
    path = path or translation_path(notebook)
    name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    if not path.exists():
        return [f"{name}: missing (run: python .ci/i18n.py extract {notebook.stem[:2]})"]
    data = load(path)
    cells = dict(data.get("cells") or {})
    nb = nbformat.read(notebook, as_version=4)
    found = []
    for cell, fragments in translatable_cells(nb):
        entry = cells.pop(cell.id, None)
        where = f"{name}: {cell.id}"
        if entry is None:
            found.append(f"{where}: no entry (run extract)")
        elif fragments is None:
            if entry.get("en_hash") != text_hash(cell.source):
                found.append(f"{where}: stale: the English changed since it was translated")
            found += entry_problems(cell.source, entry, where, markdown=True)
        else:
            by_hash = {f.get("en_hash"): f for f in entry.get("fragments") or []}
            for i, fragment in enumerate(fragments):
                f = by_hash.pop(text_hash(fragment.en), None)
                if f is None:
                    found.append(f"{where}: fragment {i} ({fragment.en[:40]!r}...): no entry, or stale")
                else:
                    found += fragment_problems(fragment, f, f"{where}: fragment {i}")
            for f in by_hash.values():
                found.append(f"{where}: stale fragment (its English is no longer in the cell): {str(f.get('en'))[:50]!r}")
    translations = {cid: "\n".join(str(t.get("vi") or "") for t in e.get("fragments") or [e])
                    for cid, e in (data.get("cells") or {}).items()}
    for term, vi in missing_terms("\n".join(english_texts(nb)), "\n".join(translations.values())):
        found.append(f"{name}: the English uses the glossary term {term!r}; the translation never says {vi!r}")
    for cell_id in cells:
        found.append(f"{name}: {cell_id}: stale: no such translatable cell in the notebook")
    for i, sample in enumerate(data.get("review") or []):
        cid = sample.get("cell")
        if sample.get("en", "") not in nb_text(nb, cid) or sample.get("vi", "") not in translations.get(cid, ""):
            found.append(f"{name}: review sample {i} ({cid}): its sentences are not in the cell and its translation")
    return found


#: English glossary words that also mean something else in the course's prose ("the speed target", "an LSTM
#: step", "printed output"): not held to one Vietnamese word.
AMBIGUOUS_TERMS = {"deep", "scaling", "step", "target", "input", "output", "block", "single", "double", "label", "parallel",
                   "character", "token", "feature", "forecast", "project", "window", "sequence", "weight", "bias"}


def _alternatives(text: str) -> list[str]:
    """'(sliding) window' -> ['sliding window', 'window']; 'a, b' -> ['a', 'b']."""
    out = []
    for part in re.split(r",\s*", text):
        part = re.sub(r"\s*\([A-Z]{2,5}\)", "", part).strip()  # abbreviations stay the same in Vietnamese
        full, bare = re.sub(r"[()]", "", part), re.sub(r"\s*\([^)]*\)\s*", " ", part).strip()
        out += [t for t in dict.fromkeys((re.sub(r"\s+", " ", full).strip(), bare)) if t]
    return out


def glossary_terms(include_ambiguous: bool = False) -> list[tuple[str, str]]:
    """(English term, the Vietnamese form to use) for every GLOSSARY.md row: the first Vietnamese alternative,
    without its parenthesis; rows of the form 'a / b' pair their parts."""
    pairs = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cols = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cols) < 2 or not line.startswith("|") or cols[0] in ("Tiếng Việt", "") or set(cols[0]) <= set("-"):
            continue
        vi_col, en_col = cols[0], re.sub(r'\s*\("[^)]*\)', "", cols[1])
        vi_parts, en_parts = vi_col.split(" / "), en_col.split(" / ")
        if len(vi_parts) != len(en_parts):
            vi_parts, en_parts = [vi_col], [" ".join(en_parts) if len(vi_parts) > 1 else en_col.replace(" / ", ", ")]
        for vi, en in zip(vi_parts, en_parts, strict=True):
            first = re.split(r",\s*", re.sub(r"\s*\([^)]*\)", "", vi))[0].strip()
            pairs += [(term, first) for term in _alternatives(en)
                      if include_ambiguous or term.lower() not in AMBIGUOUS_TERMS]
    return sorted(set(pairs), key=lambda p: -len(p[0]))


def _term_pattern(term: str) -> re.Pattern:
    words = [re.escape(w).replace("s", "[sz]") if w.endswith(("isation", "iser", "isers")) else re.escape(w)
             for w in term.split()]
    return re.compile(r"(?<![\w-])" + r"[\s-]+".join(words) + r"(?:s|es)?(?![\w-])", re.I)


def missing_terms(english: str, vietnamese: str) -> list[tuple[str, str]]:
    """Glossary terms the English uses whose Vietnamese form the translation lacks (longest terms first: the
    words of "vanishing gradient" do not count again as "gradient")."""
    vietnamese = unicodedata.normalize("NFC", vietnamese).lower()
    missing = []
    for term, vi in glossary_terms():
        pattern = _term_pattern(term)
        if pattern.search(english):
            english = pattern.sub(" ", english)
            if unicodedata.normalize("NFC", vi).lower() not in vietnamese:
                missing.append((term, vi))
    return missing


def nb_text(nb, cell_id: str) -> str:
    return next((c.source for c in nb.cells if c.id == cell_id), "")


# ----------------------------------------------------------------------------------------------------------------
# The Vietnamese notebooks
# ----------------------------------------------------------------------------------------------------------------

def vietnamese_notebook(nb, data: dict, name: str):
    """The Vietnamese instructor edition of a parsed source notebook (a new object)."""
    nb = nbformat.reads(nbformat.writes(nb), as_version=4)
    cells = data.get("cells") or {}
    for cell in nb.cells:
        for key in student_edition.VOLATILE_METADATA:
            cell.metadata.pop(key, None)
        if is_shared(cell):
            continue
        if cell.cell_type == "markdown" and cell.source.strip():
            cell.source = student_edition.deepened(cells[cell.id]["vi"].rstrip("\n"))
        elif cell.cell_type == "code" and code_fragments(cell.source):
            table = {f["en_hash"]: f["vi"].rstrip("\n") for f in cells[cell.id]["fragments"]}
            english = cell.source
            cell.source = translated_code(english, table)
            try:
                same_code = code_without_prose(cell.source) == code_without_prose(english)
            except SyntaxError:
                same_code = False
            if not same_code:
                raise ValueError(f"{name}, cell {cell.id}: the translated comments changed the code")
    notice = nbformat.v4.new_markdown_cell(NOTICE.format(name=name), id=NOTICE_ID)  # its link is from notebooks/vi/
    notice.metadata["slideshow"] = {"slide_type": "skip"}
    nb.cells.insert(next((k + 1 for k, c in enumerate(nb.cells) if is_shared(c)), 0), notice)
    nb.metadata.pop("widgets", None)
    nb.metadata["course"] = {"edition": "instructor", "language": "vi", "source": f"notebooks/{name}",
                             "translation": f"notebooks/i18n/vi/{Path(name).stem}.yml",
                             "generated_by": ".ci/i18n.py (do not edit by hand)"}
    return nb


def vietnamese_student_notebook(vi_nb, name: str):
    nb = student_edition.student_notebook(vi_nb, name, answer=ANSWER, stub=STUB)
    nb.metadata["course"] = {**vi_nb.metadata["course"], "edition": "student"}
    return nb


def complete_notebooks() -> list[Path]:
    return [p for p in source_notebooks() if translation_path(p).exists() and not problems(p)]


def expected_files() -> dict[Path, str]:
    """Every Vietnamese notebook (of the notebooks whose translation is complete) and the text it must hold."""
    files = {}
    for path in complete_notebooks():
        vi_nb = vietnamese_notebook(nbformat.read(path, as_version=4), load(translation_path(path)), path.name)
        files[VI / path.name] = nbformat.writes(vi_nb) + "\n"
        files[VI_STUDENT / path.name] = nbformat.writes(vietnamese_student_notebook(vi_nb, path.name)) + "\n"
    return files


def out_of_date() -> list[Path]:
    """Vietnamese notebooks that differ from what the source and the translations give, or have no complete
    translation."""
    return student_edition.differing(expected_files(), [VI, VI_STUDENT])


WORK_HEADER = re.compile(r"^=== (\S+?)(?:#(\d+))?( same)?$", re.M)


def export(notebook: Path, path: Path | None = None) -> str:
    """A plain-text work file for a translator: `=== cell-id` (markdown) or `=== cell-id#k` (code fragment k),
    then the English text, for every entry still untranslated or stale. Translate below each header and read
    it back with `apply`; write `=== cell-id same` for a text that stays as it is."""
    path = path or translation_path(notebook)
    data = load(path) if path.exists() else {}
    cells, chunks = data.get("cells") or {}, []
    for cell, fragments in translatable_cells(nbformat.read(notebook, as_version=4)):
        entry = cells.get(cell.id) or {}
        if fragments is None:
            if not entry.get("vi") or entry.get("en_hash") != text_hash(cell.source):
                chunks.append(f"=== {cell.id}\n{cell.source}")
        else:
            done = {f.get("en_hash") for f in entry.get("fragments") or [] if f.get("vi")}
            chunks += [f"=== {cell.id}#{k}\n{fr.en}" for k, fr in enumerate(fragments) if text_hash(fr.en) not in done]
    return "\n".join(chunks) + "\n"


def apply(notebook: Path, work: str, path: Path | None = None) -> int:
    """Read a translated work file (see `export`) into the translation file; the number of entries set."""
    path = path or translation_path(notebook)
    extract(notebook, path)
    data = load(path)
    nb = nbformat.read(notebook, as_version=4)
    by_id = {cell.id: (cell, fragments) for cell, fragments in translatable_cells(nb)}
    heads = list(WORK_HEADER.finditer(work))
    count = 0
    for head, after in zip(heads, heads[1:] + [None]):
        text = work[head.end() + 1: after.start() if after else len(work)].rstrip("\n")
        cell_id, k, same = head[1], head[2], bool(head[3])
        if cell_id not in by_id:
            raise ValueError(f"{notebook.name}: no translatable cell {cell_id!r}")
        cell, fragments = by_id[cell_id]
        entry = data["cells"][cell_id]
        if k is None:
            if fragments is not None:
                raise ValueError(f"{notebook.name}: {cell_id} is a code cell: name its fragments, {cell_id}#0 ...")
            target = entry
            target["en_hash"], target["en"] = text_hash(cell.source), cell.source
        else:
            if fragments is None or int(k) >= len(fragments):
                raise ValueError(f"{notebook.name}: {cell_id} has no fragment {k}")
            fragment = fragments[int(k)]
            target = next(f for f in entry["fragments"] if f.get("en_hash") == text_hash(fragment.en))
        target["vi"] = text or (target["en"] if same else "")  # `same` with nothing under it: the English
        if same:
            target["same"] = True
        else:
            target.pop("same", None)
        count += 1
    save(path, data)
    return count


def _selected(args: list[str]) -> list[Path]:
    wanted = [a for a in args if not a.startswith("-")]
    return [p for p in source_notebooks() if not wanted or any(p.stem.startswith(w) for w in wanted)]


def main(argv: list[str]) -> int:
    command, args = (argv[0], argv[1:]) if argv else ("", [])
    if command == "extract":
        for path in _selected(args):
            print(f"{translation_path(path).relative_to(ROOT)}: {extract(path)} entries added")
        return 0
    if command == "export":
        for path in _selected(args):
            print(export(path), end="")
        return 0
    if command == "apply":
        (path,) = _selected(args[:1])
        print(f"{apply(path, Path(args[1]).read_text(encoding='utf-8'))} entries set")
        return 0
    if command == "check":
        found = [p for path in _selected(args) for p in problems(path)]
        print("\n".join(found) or "translations complete and current")
        return 1 if found else 0
    if command == "generate":
        return student_edition.generated_main(args, "Vietnamese edition", expected_files, [VI, VI_STUDENT], "make vi")
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
