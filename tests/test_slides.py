"""The reveal.js decks that `make slides` and `make slides-lecture` build, checked as files and in a browser.

For every notebook notebooks/NN_topic.ipynb there are two decks in slides/: NN_topic.slides.html (code
included) and NN_topic.lecture.slides.html (--no-input). Each deck must
  - load only local files (scripts, style sheets, fonts: no http(s) address anywhere it loads from),
  - open in headless Chromium with reveal.js ready, as many slides as the notebook's slide metadata asks
    for, every formula typeset by MathJax, the notes plugin loaded, no console error and no request
    outside file://.
One deck's speaker view is opened and must show that slide's notes, and the title slide of the first deck
is saved as slides/title_slide.png.

`make slides-test` (part of `make test`) builds the decks and runs this file with REQUIRE_SLIDES=1: then a
missing or stale deck, a missing Chromium or a missing playwright is a failure. A plain `pytest tests`
skips these tests, with the reason, when the decks have not been built or no Chromium is installed.
The browser is Debian's chromium (/usr/bin/chromium, override with CHROMIUM=...), driven by playwright.
"""

import importlib.util
import json
import os
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("i18n", ROOT / ".ci" / "i18n.py")
i18n = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("i18n", i18n)
_spec.loader.exec_module(i18n)
SLIDES = ROOT / os.environ.get("SLIDES_DIR", "slides")  # an absolute SLIDES_DIR replaces ROOT
NOTEBOOK_DIR = ROOT / os.environ.get("SLIDES_NOTEBOOKS", "notebooks")
REQUIRED = os.environ.get("REQUIRE_SLIDES") == "1"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 720}
# Speaker notes open with these words: the English decks' and the Vietnamese decks' (notebooks/vi/).
NOTES_PREFIXES = ("Speaker notes:", "Ghi chú cho giảng viên:")
# The Vietnamese decks set their prose in the reveal.js theme's Source Sans Pro, shipped in slides/_vendor/.
OFFLINE_FONT = "Source Sans Pro"
FONT_FILES = "_vendor/reveal.js/dist/theme/fonts/source-sans-pro"
# A slide may be this much taller or wider than reveal's 960x700 before it counts as overflowing: sub-pixel
# rounding of scaled fonts, not content.
OVERFLOW_TOLERANCE_PX = 3
SCREENSHOT = SLIDES / "title_slide.png"

NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9]*.ipynb"))
DECKS = [(nb, kind) for nb in NOTEBOOKS for kind in ("full", "lecture")]

# Math in a markdown cell: $$...$$, \(...\), \[...\], \begin{env}, or an inline $x$ (a dollar, no space, ...).
MATH = re.compile(r"\$\$|\\\(|\\\[|\\begin\{|(?<![\\$\w])\$[^\s$][^$\n]*?(?<![\s\\])\$")
LOCAL_SCHEMES = {"file", "data", "blob", "about"}
# Tag/attribute pairs a browser fetches on its own (an <a href> is only followed when clicked).
FETCHED = {("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src"), ("source", "src"),
           ("video", "src"), ("audio", "src"), ("embed", "src"), ("object", "data"), ("input", "src")}


def deck_path(nb: Path, kind: str) -> Path:
    return SLIDES / (f"{nb.stem}.slides.html" if kind == "full" else f"{nb.stem}.lecture.slides.html")


def not_ready(reason: str):
    """Fail under `make slides-test` (REQUIRE_SLIDES=1), skip with the reason in a plain `pytest tests`."""
    if REQUIRED:
        pytest.fail(reason)
    pytest.skip(reason + " (`make slides-test` builds the decks and runs this test)")


def built_deck(nb: Path, kind: str) -> Path:
    deck = deck_path(nb, kind)
    if not deck.exists():
        not_ready(f"{deck} has not been built")
    if deck.stat().st_mtime < nb.stat().st_mtime:
        not_ready(f"{deck} is older than {nb}: rebuild it with `make slides slides-lecture`")
    return deck


def slide_types(nb: Path) -> list[tuple[str, str, str]]:
    """(cell_type, slide_type, source) for every cell, as nbconvert's reveal preprocessor reads them."""
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    out = []
    for cell in cells:
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        out.append((cell["cell_type"], cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-"),
                    source))
    return out


def expected_slides(nb: Path) -> int:
    """Slides reveal.js will count: the first visible cell opens one, then every slide or subslide cell."""
    types = [t for _, t, _ in slide_types(nb)]
    first = next(k for k, t in enumerate(types) if t not in {"skip", "notes"})
    return 1 + sum(t in {"slide", "subslide"} for t in types[first + 1:])


def shown_code_cells(nb: Path) -> int:
    return sum(c == "code" and t not in {"skip", "notes"} for c, t, _ in slide_types(nb))


def notes_cells(nb: Path) -> int:
    return sum(t == "notes" for _, t, _ in slide_types(nb))


def level2_sections(nb: Path) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """(heading, cells) for every level-2 section: from a markdown cell with a `## ` line to the next one."""
    out: list[tuple[str, list[tuple[str, str, str]]]] = []
    for cell in slide_types(nb):
        kind, _, source = cell
        heading = next((line[3:].strip() for line in source.splitlines() if line.startswith("## ")), None)
        if kind == "markdown" and heading is not None:
            out.append((heading, []))
        if out:
            out[-1][1].append(cell)
    return out


def sections_without_notes(nb: Path) -> list[str]:
    """Level-2 sections with no speaker-notes cell (slide type `notes`, text starting `Speaker notes:`)."""
    return [heading for heading, cells in level2_sections(nb)
            if not any(t == "notes" and s.lstrip().startswith(NOTES_PREFIXES) for _, t, s in cells)]


def literal_notes_markers(nb: Path) -> list[int]:
    """Cells showing `%% [notes]` as text (a jupytext marker that reached the notebook as content)."""
    return [k for k, (_, t, s) in enumerate(slide_types(nb)) if t != "notes" and "%% [notes]" in s]


def has_math(nb: Path) -> bool:
    return any(c == "markdown" and t != "skip" and MATH.search(s) for c, t, s in slide_types(nb))


class _Assets(HTMLParser):
    """Collects what a page loads by itself, the classes used, and the text of <script>/<style> blocks."""

    def __init__(self):
        super().__init__()
        self.fetched: list[tuple[str, str]] = []
        self.classes: list[str] = []
        self.blocks: list[tuple[str, str]] = []
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if (tag, name) in FETCHED and value:
                self.fetched.append((tag, value))
            if name == "class" and value:
                self.classes.extend(value.split())
        self._in = tag if tag in {"script", "style"} else None

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in:
            self.blocks.append((self._in, data))


def parse_deck(deck: Path) -> _Assets:
    parser = _Assets()
    parser.feed(deck.read_text(encoding="utf-8"))
    return parser


def is_remote(url: str) -> bool:
    url = url.strip()
    return url.startswith("//") or (urlsplit(url).scheme not in LOCAL_SCHEMES | {""})


def local_target(deck: Path, url: str) -> Path:
    return (deck.parent / unquote(urlsplit(url).path)).resolve()


def test_every_notebook_is_listed():
    assert NOTEBOOKS, f"no notebooks/NN_*.ipynb found in {NOTEBOOK_DIR}"


@pytest.mark.parametrize(("nb", "kind"), DECKS, ids=[f"{nb.stem}-{kind}" for nb, kind in DECKS])
def test_deck_loads_only_local_files(nb, kind):
    deck = built_deck(nb, kind)
    page = parse_deck(deck)
    remote = [f"<{tag}> {url}" for tag, url in page.fetched if is_remote(url)]
    # Scripts and styles can load more: ES module imports, require() lists, CSS @import and url().
    for kind_, text in page.blocks:
        code = re.sub(r"/\*.*?\*/", "", text, flags=re.S)  # licence comments cite web pages; not loads
        if kind_ == "script":
            code = re.sub(r"(?m)^\s*//.*$", "", code)
            remote += [f"import {u}" for u in re.findall(r"""\bfrom\s+['"]([^'"]+)['"]""", code) if is_remote(u)]
            remote += [f"script string {u}" for u in re.findall(r"""['"]((?:https?:)?//[^'"\s]+)['"]""", code)]
        else:
            remote += [f"css {u}" for u in re.findall(r"""url\(\s*['"]?([^'")\s]+)""", code) if is_remote(u)]
    assert not remote, f"{deck.name} loads from the network: {remote}"

    local = [url for _, url in page.fetched if not url.startswith("data:")]
    local += re.findall(r"""["'](_vendor/[^"'?]+)""", deck.read_text(encoding="utf-8"))  # require([...]) list
    missing = sorted({url for url in local if not local_target(deck, url).exists()})
    assert not missing, f"{deck.name} refers to local files that are not there: {missing}"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_lecture_deck_has_no_code_and_full_deck_has_it(nb):
    full = parse_deck(built_deck(nb, "full")).classes.count("jp-InputArea-editor")
    lecture = parse_deck(built_deck(nb, "lecture")).classes.count("jp-InputArea-editor")
    assert full == shown_code_cells(nb), f"{nb.name}: {full} code inputs in the deck"
    assert lecture == 0, f"{nb.name}: the lecture deck shows {lecture} code inputs"


# ----------------------------------------------------------------------------------------------------------
# In the browser.

@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        not_ready(f"no Chromium at {CHROMIUM} (`make slides-test` installs Debian's chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        not_ready("the playwright package is not installed (requirements.txt)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Visit:
    """A browser context on one deck, recording console errors, page errors and every request."""

    def __init__(self, browser, deck: Path):
        self.deck = deck
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.context = browser.new_context(viewport=VIEWPORT)
        # Anything not file:// is recorded and refused, so that the test never depends on the network.
        self.context.route(re.compile(r"^(?!file:|data:|blob:|about:)"), self._refuse)
        self.context.on("page", self._watch)
        self.page = self.context.new_page()

    def _refuse(self, route):
        self.requests.append(route.request.url)
        route.abort()

    def _watch(self, page):
        page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on("request", lambda r: self.requests.append(r.url)
                if urlsplit(r.url).scheme not in LOCAL_SCHEMES else None)
        page.on("requestfailed", lambda r: self.errors.append(f"failed to load {r.url}: {r.failure}"))

    def open(self):
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        self.page.goto(self.deck.as_uri())
        # reveal.js adds the class `ready` to .reveal once initialised; it was loaded with require.js, so
        # the API object is the AMD module, not a global.
        try:
            self.page.wait_for_function("document.querySelector('.reveal.ready') !== null", timeout=20_000)
        except PlaywrightTimeout:
            pytest.fail(f"reveal.js never became ready in {self.deck.name}; errors: {self.errors}; "
                        f"requests outside file://: {self.requests}")
        self.page.evaluate("""() => {
            const ids = Object.keys(requirejs.s.contexts._.defined);
            window.deck = require(ids.find(id => id.endsWith('/dist/reveal.js')));
        }""")
        return self.page

    def wait_for_mathjax(self):
        self.page.wait_for_function("window.MathJax !== undefined && MathJax.isReady === true", timeout=20_000)
        self.page.evaluate("new Promise(done => MathJax.Hub.Queue(done))")  # after the queued typesetting

    def close(self):
        self.context.close()


# Every slide in turn made current (reveal.js shows only the slides near the current one), then measured
# against the deck's configured size: the slide's own box, and any element inside that clips or scrolls
# its content sideways (a code line or table cut off at the edge).
MEASURE_SLIDES = """(tolerance) => {
    const {width, height} = deck.getConfig();
    const clips = el => ['auto', 'scroll', 'hidden'].includes(getComputedStyle(el).overflowX);
    const found = [];
    for (const slide of deck.getSlides()) {
        const at = deck.getIndices(slide);
        deck.slide(at.h, at.v);
        const tall = slide.scrollHeight, wide = slide.scrollWidth;
        const cut = [...slide.querySelectorAll('*')].filter(el => clips(el) && el.clientWidth > 0
                                                        && el.scrollWidth - el.clientWidth > tolerance);
        if (tall > height + tolerance || wide > width + tolerance || cut.length) {
            const title = slide.querySelector('h1, h2, h3, h4, p, pre');
            found.push({slide: at.v ? `${at.h + 1}.${at.v + 1}` : `${at.h + 1}`, height: tall, width: wide,
                        clipped: cut.length,
                        text: (title ? title.textContent : slide.textContent).trim().slice(0, 60)});
        }
    }
    deck.slide(0, 0);
    return found;
}"""


def overflowing_slides(page) -> list[dict]:
    """Slides of the open deck whose content does not fit reveal's slide; MathJax must have finished."""
    page.wait_for_function("[...document.images].every(image => image.complete)", timeout=20_000)
    return page.evaluate(MEASURE_SLIDES, OVERFLOW_TOLERANCE_PX)


def describe_overflow(found: list[dict]) -> str:
    return "; ".join(f"slide {f['slide']} ({f['text']!r}): {f['width']}x{f['height']} px"
                     + (f", {f['clipped']} element(s) cut off sideways" if f["clipped"] else "")
                     for f in found)


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_every_section_has_speaker_notes(nb):
    missing = sections_without_notes(nb)
    assert level2_sections(nb), f"{nb.name} has no level-2 (##) section"
    assert not missing, (f"{nb.name}: {len(missing)} level-2 section(s) without a speaker-notes cell "
                         f"(slide type `notes`, starting one of {NOTES_PREFIXES}): {missing}")


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_no_literal_notes_marker_on_a_slide(nb):
    cells = literal_notes_markers(nb)
    assert not cells, f"{nb.name}: cells {cells} show the text `%% [notes]` on a slide"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_no_slide_overflows(browser, nb):
    visit = Visit(browser, built_deck(nb, "full"))
    try:
        visit.open()
        visit.wait_for_mathjax()
        found = overflowing_slides(visit.page)
    finally:
        visit.close()
    config = "960x700"
    assert not found, (f"{nb.name}: {len(found)} slide(s) larger than the {config} slide "
                       f"(split the cell or make a sub-slide): {describe_overflow(found)}")


@pytest.mark.parametrize(("nb", "kind"), DECKS, ids=[f"{nb.stem}-{kind}" for nb, kind in DECKS])
def test_deck_in_browser(browser, nb, kind):
    deck = built_deck(nb, kind)
    visit = Visit(browser, deck)
    try:
        page = visit.open()
        visit.wait_for_mathjax()
        assert page.evaluate("deck.isReady()")
        assert page.evaluate("deck.getTotalSlides()") == expected_slides(nb)
        assert page.evaluate("deck.hasPlugin('notes')"), "the speaker notes plugin is not loaded"
        assert page.locator("aside.notes").count() == notes_cells(nb)

        typeset = page.locator(".MathJax_CHTML").count()
        failed = page.locator(".MathJax_Error, .mjx-merror").count()
        raw = page.evaluate("""() => [...document.querySelectorAll('.jp-MarkdownOutput')]
                                      .filter(cell => cell.textContent.includes('$$')).length""")
        assert failed == 0, f"{failed} formulas failed to typeset"
        assert raw == 0, f"{raw} markdown cells still show $$ after MathJax ran"
        if has_math(nb):
            assert typeset > 0, "the notebook has formulas but MathJax typeset none"

        page.keyboard.press("ArrowRight")  # a slide change re-renders the math (the template's handler)
        page.wait_for_timeout(100)
        assert not visit.errors, visit.errors
        assert not visit.requests, f"requests outside file://: {visit.requests}"
    finally:
        visit.close()


def is_vietnamese(nb: Path) -> bool:
    return json.loads(nb.read_text(encoding="utf-8"))["metadata"].get("course", {}).get("language") == "vi"


VIETNAMESE = [nb for nb in NOTEBOOKS if is_vietnamese(nb)]


def vietnamese_letters(nb: Path) -> set[str]:
    """The letters with Vietnamese diacritics (and đ) that the deck shows: .ci/i18n.py's VIETNAMESE_LETTER."""
    return {ch for c, t, s in slide_types(nb) if c == "markdown" and t != "skip"
            for ch in i18n.VIETNAMESE_LETTER.findall(s)}


@pytest.mark.parametrize("nb", VIETNAMESE, ids=[nb.stem for nb in VIETNAMESE])
def test_the_offline_font_has_every_vietnamese_letter(nb):
    from fontTools.ttLib import TTFont  # matplotlib's dependency

    letters = vietnamese_letters(nb)
    assert letters, f"{nb.name} has no Vietnamese letter"
    # The decks of notebooks/vi/ are in slides/vi/ and use slides/_vendor/, one folder up.
    fonts = [font for folder in (SLIDES, SLIDES.parent) for font in sorted((folder / FONT_FILES).glob("*.woff"))]
    if not fonts:
        not_ready(f"no {FONT_FILES}/*.woff next to the decks (`make slides` copies reveal.js there)")
    for font in fonts:
        cmap = TTFont(font).getBestCmap()
        missing = sorted(ch for ch in letters if ord(ch) not in cmap)
        assert not missing, f"{font.name} lacks {missing}, used in {nb.name}"


@pytest.mark.parametrize("nb", VIETNAMESE, ids=[nb.stem for nb in VIETNAMESE])
def test_vietnamese_prose_is_set_in_the_offline_font(browser, nb):
    visit = Visit(browser, built_deck(nb, "lecture"))
    try:
        page = visit.open()
        page.evaluate("document.fonts.ready")
        seen = page.evaluate("""(font) => {
            const prose = [...document.querySelectorAll('.jp-RenderedMarkdown p, .jp-RenderedMarkdown li')]
                .filter(el => /[\u00C0-\u1EF9]/.test(el.textContent));
            const families = [...new Set(prose.map(el => getComputedStyle(el).fontFamily.split(',')[0].trim()))];
            const faces = [...document.fonts].filter(f => f.family.replace(/["']/g, '') === font);
            return {prose: prose.length, families, loaded: faces.filter(f => f.status === 'loaded').length,
                    covers: document.fonts.check(`20px "${font}"`, prose.map(el => el.textContent).join(' '))};
        }""", OFFLINE_FONT)
        assert seen["prose"] > 0, "no paragraph with a Vietnamese letter in the deck"
        assert seen["families"] == [f'"{OFFLINE_FONT}"'] or seen["families"] == [OFFLINE_FONT], seen
        assert seen["loaded"] >= 1 and seen["covers"], f"{OFFLINE_FONT} not loaded from file://: {seen}"
        assert not visit.requests, f"requests outside file://: {visit.requests}"
    finally:
        visit.close()


def test_speaker_view_shows_the_notes(browser):
    with_notes = [nb for nb in NOTEBOOKS if notes_cells(nb)]
    if not with_notes:
        pytest.fail("no notebook has a speaker-notes cell (slide type `notes`)")
    nb = with_notes[0]
    visit = Visit(browser, built_deck(nb, "full"))
    try:
        page = visit.open()
        note = page.evaluate("""() => {
            const aside = document.querySelector('aside.notes');
            const slide = aside.closest('section');
            const at = deck.getIndices(slide);
            deck.slide(at.h, at.v);
            return aside.textContent.trim();
        }""")
        with visit.context.expect_page(timeout=15_000) as opened:
            page.keyboard.press("s")  # reveal's notes plugin opens the speaker view in a new window
        speaker = opened.value
        shown = speaker.locator(".speaker-controls-notes .value")
        speaker.wait_for_function(
            "document.querySelector('.speaker-controls-notes .value')?.textContent.trim().length > 0",
            timeout=30_000,
        )
        assert " ".join(note.split())[:60] in " ".join(shown.inner_text().split())
        assert speaker.locator("#current-slide iframe").count() == 1
        assert not visit.errors, visit.errors
        assert not visit.requests, f"requests outside file://: {visit.requests}"
    finally:
        visit.close()


def test_title_slide_screenshot(browser):
    nb = NOTEBOOKS[0]
    visit = Visit(browser, built_deck(nb, "full"))
    try:
        page = visit.open()
        visit.wait_for_mathjax()
        page.evaluate("deck.slide(0, 0)")
        page.wait_for_timeout(500)  # let the slide transition settle
        SCREENSHOT.unlink(missing_ok=True)
        page.screenshot(path=str(SCREENSHOT))
        title = page.evaluate("document.querySelector('section.present h1, section.present h2')?.textContent")
    finally:
        visit.close()
    from PIL import Image  # matplotlib's dependency

    with Image.open(SCREENSHOT) as image:
        assert image.size == (VIEWPORT["width"], VIEWPORT["height"])
        grey = image.convert("L")
        low, high = grey.getextrema()
        dark = sum(grey.histogram()[:128]) / (image.size[0] * image.size[1])
    assert high - low > 100, "the title slide screenshot is blank"
    assert 0.002 < dark < 0.5, f"the title slide looks wrong ({dark:.1%} dark pixels)"
    assert title and title.strip(), "the first slide has no heading"
