"""The Vietnamese edition (notebooks/vi/, notebooks/vi/student/, written by .ci/i18n.py from the translation files
notebooks/i18n/vi/NN_topic.yml): every translation complete and current, the generated notebooks in sync, their
code and outputs the English source's; and the checks themselves shown to fail on a small notebook."""
import importlib.util
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("i18n", ROOT / ".ci" / "i18n.py")
i18n = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("i18n", i18n)
_spec.loader.exec_module(i18n)
SOURCES = i18n.source_notebooks()


# ----------------------------------------------------------------------------------------------------------------
# The course's translations and generated notebooks

@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_the_translation_is_complete_and_current(path):
    found = i18n.problems(path)
    assert not found, f"{len(found)} problem(s); `python .ci/i18n.py check {path.stem[:2]}`:\n" + "\n".join(found[:20])


def test_the_vietnamese_edition_is_in_sync():
    stale = i18n.out_of_date()
    assert not stale, f"out of date: {[p.relative_to(ROOT).as_posix() for p in stale]}; run `make vi`"


@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_a_vietnamese_notebook_has_the_source_code_outputs_and_slides(path):
    vi_path = i18n.VI / path.name
    if not vi_path.exists():
        pytest.fail(f"{vi_path.relative_to(ROOT)} is missing (its translation is incomplete)")
    source, vi = nbformat.read(path, as_version=4), nbformat.read(vi_path, as_version=4)
    translated = [c for c in vi.cells if c.id != i18n.NOTICE_ID]
    assert len(translated) == len(vi.cells) - 1, "the notice cell is missing"
    for en, tr in zip(source.cells, translated, strict=True):
        where = f"{path.name}, cell {en.id}"
        assert (tr.id, tr.cell_type) == (en.id, en.cell_type), where
        assert tr.metadata.get("slideshow") == en.metadata.get("slideshow"), f"{where}: slide metadata"
        assert tr.metadata.get("tags") == en.metadata.get("tags"), f"{where}: tags"
        if en.cell_type == "code":
            assert tr.outputs == en.outputs and tr.execution_count == en.execution_count, f"{where}: outputs"
            assert i18n.code_without_prose(tr.source) == i18n.code_without_prose(en.source), f"{where}: code"
            if i18n.is_shared(en):
                assert tr.source == en.source, f"{where}: the setup cell is the release's, as it is"
        elif en.source.strip():
            assert i18n.VIETNAMESE_LETTER.search(tr.source), f"{where}: no Vietnamese letter"
            assert i18n.kept_exactly(en.source) == i18n.kept_exactly(tr.source.replace("](../../", "](../")), (
                f"{where}: formulas, code spans, links or numbers differ from the English")


def test_the_first_vietnamese_cell_says_that_outputs_stay_in_english():
    for path in sorted(i18n.VI.glob("[0-9]*.ipynb")) + sorted(i18n.VI_STUDENT.glob("[0-9]*.ipynb")):
        first = next(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
        assert first.id == i18n.NOTICE_ID and "giữ nguyên tiếng Anh" in first.source, path.name
        link = next(iter(i18n.LINK_TARGET.findall(first.source)))[0]
        assert (path.parent / link).resolve() == (ROOT / "notebooks" / path.name).resolve(), (path.name, link)


# ----------------------------------------------------------------------------------------------------------------
# The checks, on a small notebook of our own

ENGLISH_MD = ("## The forget gate\n\nThe forget gate $f_t$ scales the cell by `f * c_prev`: "
              "0.5 halves it. See the [glossary](../GLOSSARY.md).")
VIETNAMESE_MD = ("## Cổng quên\n\nCổng quên (forget gate) $f_t$ nhân ô nhớ với `f * c_prev`: "
                 "0.5 làm nó giảm một nửa. Xem [bảng thuật ngữ](../GLOSSARY.md).")
ENGLISH_CODE = ('def step(x):\n    """One step: x (B, D) -> (B, H)."""\n    # BEGIN SOLUTION\n'
                '    # Scale the input first.\n    y = 2 * x  # doubled\n    return y\n    # END SOLUTION\n')
VIETNAMESE_FRAGMENTS = {"One step: x (B, D) -> (B, H).": "Một bước: x (B, D) -> (B, H).",
                        "Scale the input first.": "Nhân đầu vào trước.", "doubled": "gấp đôi"}


@pytest.fixture
def small(tmp_path):
    """A notebook (a markdown cell, a code cell with an exercise) and its complete translation file."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(ENGLISH_MD, id="md"),
                                         nbformat.v4.new_code_cell(ENGLISH_CODE, id="code")])
    path = tmp_path / "99_small.ipynb"
    nbformat.write(nb, path)
    translation = tmp_path / "99_small.yml"
    i18n.extract(path, translation)
    data = i18n.load(translation)
    data["cells"]["md"]["vi"] = VIETNAMESE_MD
    for fragment in data["cells"]["code"]["fragments"]:
        fragment["vi"] = VIETNAMESE_FRAGMENTS[fragment["en"]]
    i18n.save(translation, data)
    return path, translation


def edit(translation: Path, change) -> None:
    data = i18n.load(translation)
    change(data["cells"])
    i18n.save(translation, data)


def test_a_complete_translation_has_no_problem(small):
    assert i18n.problems(*small) == []


def test_a_stale_translation_is_reported(small):
    path, translation = small
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source = ENGLISH_MD.replace("0.5 halves it", "0.25 quarters it")
    nb.cells[1].source = ENGLISH_CODE.replace("# doubled", "# twice")
    nbformat.write(nb, path)
    found = i18n.problems(path, translation)
    assert any("md: stale" in p for p in found), found
    assert any("code: fragment 2" in p and "stale" in p for p in found), found


def test_a_missing_entry_and_an_empty_translation_are_reported(small):
    path, translation = small
    edit(translation, lambda cells: cells.pop("md"))
    assert any("md: no entry" in p for p in i18n.problems(path, translation))
    edit(translation, lambda cells: cells["code"]["fragments"][0].update(vi=""))
    assert any("code: fragment 0: not translated" in p for p in i18n.problems(path, translation))


def test_a_translation_still_in_english_is_reported(small):
    path, translation = small
    edit(translation, lambda cells: cells["md"].update(vi=ENGLISH_MD))
    assert any("is the English text" in p for p in i18n.problems(path, translation))
    edit(translation, lambda cells: cells["md"].update(vi=ENGLISH_MD.replace("scales", "multiplies")))
    assert any("no Vietnamese letter" in p for p in i18n.problems(path, translation))


@pytest.mark.parametrize("changed, what", [
    ("$f_t$", "$f_{t}$"), ("`f * c_prev`", "`f*c_prev`"), ("0.5", "0,5"), ("(../GLOSSARY.md)", "(GLOSSARY.md)"),
    ("## Cổng quên", "### Cổng quên"),
], ids=["formula", "code-span", "number", "link", "heading"])
def test_a_translation_that_changes_a_formula_code_span_number_link_or_heading_is_reported(small, changed, what):
    path, translation = small
    edit(translation, lambda cells: cells["md"].update(vi=VIETNAMESE_MD.replace(changed, what)))
    found = i18n.problems(path, translation)
    assert len(found) == 1 and ("differ" in found[0]), found


def test_a_glossary_term_the_english_uses_must_appear_in_its_vietnamese_form(small):
    path, translation = small
    edit(translation, lambda cells: cells["md"].update(vi=VIETNAMESE_MD.replace("Cổng quên", "Cửa quên")
                                                       .replace("cổng quên", "cửa quên")))
    found = i18n.problems(path, translation)
    assert any("'forget gate'" in p and "'cổng quên'" in p for p in found), found


def test_the_glossary_gives_the_first_vietnamese_alternative():
    terms = dict(i18n.glossary_terms())
    assert terms["forget gate"] == "cổng quên"
    assert terms["cell state"] == "trạng thái ô"  # "trạng thái ô (nhớ)": the parenthesis is optional
    assert terms["gradient"] == "đạo hàm" and terms["vanishing gradient"] == "tiêu biến gradient"
    assert terms["hyperparameter"] == "siêu tham số" and terms["parameter"] == "tham số"  # "a / b" pairs
    assert terms["standardisation"] == "chuẩn hoá"
    assert ("vanishing gradient", "tiêu biến gradient") in i18n.missing_terms("a vanishing gradient", "")
    assert ("gradient", "đạo hàm") not in i18n.missing_terms("a vanishing gradient", "")


@pytest.mark.parametrize("bad, why", [
    ('Một bước """ x', "quotes"), ("gấp\nđôi", "one line"),
], ids=["docstring-quotes", "trailing-comment-two-lines"])
def test_a_code_fragment_that_would_break_the_code_is_reported(small, bad, why):
    path, translation = small
    index = 0 if why == "quotes" else 2
    edit(translation, lambda cells: cells["code"]["fragments"][index].update(vi=bad))
    assert any(why in p for p in i18n.problems(path, translation))


def test_the_generated_notebooks_translate_prose_only_and_deepen_links(small):
    path, translation = small
    nb = nbformat.read(path, as_version=4)
    vi = i18n.vietnamese_notebook(nb, i18n.load(translation), path.name)
    notice, md, code = vi.cells
    assert notice.id == i18n.NOTICE_ID and "giữ nguyên tiếng Anh" in notice.source
    assert md.source == VIETNAMESE_MD.replace("](../GLOSSARY.md)", "](../../GLOSSARY.md)")
    assert '"""Một bước: x (B, D) -> (B, H)."""' in code.source
    assert "    # Nhân đầu vào trước.\n    y = 2 * x  # gấp đôi\n" in code.source
    assert i18n.code_without_prose(code.source) == i18n.code_without_prose(ENGLISH_CODE)
    student = i18n.vietnamese_student_notebook(vi, path.name)
    assert "y = 2 * x" not in student.cells[2].source and "NotImplementedError" in student.cells[2].source
    assert "viết mã của bạn ở đây" in student.cells[2].source
    assert "](../../../GLOSSARY.md)" in student.cells[1].source
    assert student.metadata["course"]["language"] == "vi" and student.metadata["course"]["edition"] == "student"


def test_a_translation_that_changes_the_code_is_refused(small):
    path, translation = small
    data = i18n.load(translation)
    data["cells"]["code"]["fragments"][2]["vi"] = "gấp đôi\ny = 3 * x"  # a second line would become code
    with pytest.raises(ValueError, match="changed the code"):
        i18n.vietnamese_notebook(nbformat.read(path, as_version=4), data, path.name)


def test_a_work_file_is_exported_and_applied(small, tmp_path):
    path, translation = small
    data = i18n.load(translation)
    data["cells"]["md"]["vi"] = ""
    i18n.save(translation, data)
    work = i18n.export(path, translation)
    assert work.startswith("=== md\n## The forget gate") and "=== code#" not in work
    i18n.apply(path, work.replace(ENGLISH_MD, VIETNAMESE_MD), translation)
    assert i18n.problems(path, translation) == []


# ----------------------------------------------------------------------------------------------------------------
# The English source's own glossary boxes use GLOSSARY.md's terms (the Vietnamese edition keeps those boxes)

def glossary_box_pairs(text: str) -> list[tuple[str, str]]:
    """(Vietnamese, English) pairs of a glossary box: `vi = en · vi = en` lines, or `| vi | en |` table rows."""
    text = re.sub(r"(?m)^>\s?", "", text)
    found = [(vi.strip(), en.strip()) for vi, en in re.findall(r"(?m)^\|([^|\n]+)\|([^|\n]+)\|", text)]
    prose = " ".join(line for line in text.splitlines() if not line.lstrip().startswith("|"))
    for part in re.sub(r"\*\*[^*]*\*\*", " ", prose).split("·"):
        if part.count("=") == 1:
            vi, en = part.split("=")
            found.append((" ".join(vi.split()), " ".join(en.split()).rstrip(".").split(". ")[0]))
    return found


def glossary_boxes():
    for path in SOURCES:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown" and ("Glossary" in cell.source or "| Tiếng Việt |" in cell.source):
                yield path, cell


def test_the_sources_glossary_boxes_use_the_glossarys_vietnamese_terms():
    first_form = {}
    for term, vi in i18n.glossary_terms(include_ambiguous=True):
        first_form.setdefault(term.lower(), vi)
    checked, wrong = 0, []
    for path, cell in glossary_boxes():
        for vi, en in glossary_box_pairs(cell.source):
            term = re.sub(r"\s*\([A-Z]{2,5}\)", "", en).strip().lower()
            if term in first_form:
                checked += 1
                if first_form[term].lower() not in vi.lower():
                    wrong.append(f"{path.name}, {cell.id}: {vi!r} = {en!r}; GLOSSARY.md: {first_form[term]!r}")
    assert checked >= 40, f"only {checked} glossary-box pairs recognised: the parser missed the boxes"
    assert not wrong, "glossary boxes that disagree with GLOSSARY.md:\n" + "\n".join(wrong)


def test_the_words_of_a_formulas_text_may_be_translated_but_not_its_maths():
    en = r"$$c_t = f_t \odot c_{t-1} \quad \text{memory cell}$$"
    assert i18n.kept_exactly(en) == i18n.kept_exactly(en.replace("memory cell", "ô nhớ"))
    assert i18n.kept_exactly(en) != i18n.kept_exactly(en.replace("memory cell", "ô nhớ").replace("c_{t-1}", "c_t"))
