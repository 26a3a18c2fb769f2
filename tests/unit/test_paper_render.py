"""The paper CoC renderer on the official samples' bytes, without a stack: every value printed, the model's
wording per language, the markers of re-prints and of certificates no longer current, and what the page
layout takes from an entity's settings. The samples sealed through the whole stack are checked the same way
in tests/e2e/test_samples_sealed.py."""
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from common.contracts.signing import PAPER_LANGUAGES, PaperLayoutIn
from services.signing.paper.content import paper_coc
from services.signing.paper.render import Layout, background_problem, render_pdf, render_zip
from services.signing.paper.wording import WORDING_DIR, Wording, languages
from tests.paper_checks import check_paper, missing_tools

SAMPLES = Path(os.environ.get("ECOC_IVI_SCHEMA")
               or Path(__file__).resolve().parents[3] / "shared" / "ivi" / "IVI2.0.xsd").parent / "samples"


def sample(name):
    path = SAMPLES / f"{name}.xml"
    if not path.is_file():
        pytest.skip(f"the official samples are not at {SAMPLES}")
    return path.read_bytes()


def text_of(document, tmp_path, layout=None, print_number=1, status="current", *options):
    """pdftotext's text of the paper CoC of `document`."""
    path = tmp_path / "coc.pdf"
    path.write_bytes(render_pdf([(document, print_number, "coc.xml", status)], layout or Layout()))
    return subprocess.run(["pdftotext", *options, str(path), "-"], capture_output=True, check=True).stdout.decode()


@pytest.fixture(scope="module")
def tools():
    missing = missing_tools()
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: `make system-deps` installs poppler-utils and zbar-tools")


def test_every_language_file_words_every_item_and_the_contract_lists_them():
    assert languages() == sorted(PAPER_LANGUAGES)
    english = yaml.safe_load((WORDING_DIR / "en.yaml").read_text())
    for language in languages():
        own = yaml.safe_load((WORDING_DIR / f"{language}.yaml").read_text())
        assert own["language"] == language
        assert set(own["items"]) == set(english["items"]), language
        assert set(own["statement"]) == {"C", "I", "V", "L"}
        assert set(own["words"]) == set(english["words"]), language


@pytest.mark.parametrize("name", ["M1-02-CHR"])  # all nine, sealed through the stack: tests/e2e
def test_every_sealed_value_is_printed_with_proof_of_the_electronic_certificate(name, tools, tmp_path):
    document = sample(name)
    pdf = render_pdf([(document, 1, f"{name}.xml", "current")], Layout())
    problems, text = check_paper(pdf, document, tmp_path, f"unit-{name}", pages_to_png=False)
    assert problems == []
    assert "DUPLICATE" not in text and "SUPERSEDED" not in text


def test_m1_items_are_numbered_and_sorted_as_the_annex_viii_model_and_l_items_are_not():
    m1 = paper_coc(sample("M1-02-CHR"), Wording())
    numbers = [i.number for i in m1.side2]
    assert numbers == sorted(numbers, key=lambda n: tuple(int(p) for p in n.split(".")))
    assert {"13.2", "35", "40", "49"} <= set(numbers)
    assert [i.number for i in m1.side1][:4] == ["0.1", "0.2", "0.2.1", "0.4"]
    # multiple values keep their rows: the tyres of each axle under item 35, the axle's row named
    tyres = next(i for i in m1.side2 if i.number == "35")
    assert len({line.where.split(".")[0] for line in tyres.lines}) == 2
    l1e = paper_coc(sample("L1e"), Wording())
    assert not l1e.numbered and all(i.number == "" for i in l1e.side1 + l1e.side2)


@pytest.mark.parametrize("language,title,statement_start", [
    ("en", "EU Certificate of Conformity", "The undersigned hereby certifies"),
    ("de", "EU-Übereinstimmungsbescheinigung", "Der Unterzeichnete bestätigt hiermit"),
    ("fr", "Certificat de conformité UE", "Le soussigné certifie par la présente"),
])
def test_the_model_wording_follows_the_entitys_language(language, title, statement_start, tools, tmp_path):
    text = " ".join(text_of(sample("M1-02-CHR"), tmp_path, Layout(language=language)).split())
    assert title in text and statement_start in text
    assert Wording(language).item("13.2", "") in text


def test_the_statement_follows_the_stage_of_completion():
    complete = sample("M1-02-CHR")
    incomplete = complete.replace(b"<StageOfCompletion>C<", b"<StageOfCompletion>I<")
    assert "cannot be permanently registered without further approvals" in paper_coc(incomplete, Wording()).statement
    assert "right-hand traffic" in paper_coc(complete, Wording()).statement


def test_a_reprint_is_a_duplicate_with_its_count_and_an_old_version_says_so(tools, tmp_path):
    text = text_of(sample("M1-02-CHR"), tmp_path, Layout(), 3, "superseded")
    assert "DUPLICATE — re-print 2" in text and "SUPERSEDED" in text
    assert "DUPLIKAT — Nachdruck 1" in text_of(sample("M1-02-CHR"), tmp_path, Layout(language="de"), 2)
    assert "DUPLICATE" not in text_of(sample("M1-02-CHR"), tmp_path)


def _words(text):
    """(word, xMin, yMin) in points of pdftotext's -bbox output."""
    import re
    return [(word, float(x), float(y)) for x, y, word in
            re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" [^>]*>([^<]*)</word>', text)]


def test_margins_background_and_watermark_come_from_the_layout(tools, tmp_path):
    from PIL import Image
    frame = ('<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="297mm">'
             '<rect x="5mm" y="5mm" width="200mm" height="287mm" fill="none" stroke="#0000ff" stroke-width="2mm"/>'
             '</svg>')
    layout = Layout.from_dict(PaperLayoutIn().load({
        "margins": {"top": 30, "left": 25}, "watermark": "ACME SECURITY PAPER", "background_svg": frame}))
    mm = 72 / 25.4
    words = _words(text_of(sample("L1e"), tmp_path, layout, 1, "current", "-bbox", "-f", "1", "-l", "1"))
    assert min(x for _, x, _ in words) == pytest.approx(25 * mm, abs=1.5)
    assert min(y for _, _, y in words) == pytest.approx(30 * mm, abs=3)
    plain = _words(text_of(sample("L1e"), tmp_path, Layout(), 1, "current", "-bbox", "-f", "1", "-l", "1"))
    assert min(x for _, x, _ in plain) == pytest.approx(18 * mm, abs=1.5)  # the default margins

    path = tmp_path / "framed.pdf"
    path.write_bytes(render_pdf([(sample("L1e"), 1, "l1e.xml", "current")], layout))
    subprocess.run(["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png", str(path), str(tmp_path / "framed")],
                   check=True)
    page = Image.open(next(tmp_path.glob("framed*.png"))).convert("RGB")
    px = 50 / 25.4
    r, g, b = page.getpixel((int(105 * px), int(5 * px)))  # the frame's top edge, mid-page
    assert b > 200 and r < 80 and g < 80, (r, g, b)
    # the watermark is drawn diagonally under the text: in the page content, not in pdftotext's reading order
    assert "ACME SECURITY PAPER" not in text_of(sample("L1e"), tmp_path, layout, 1, "current", "-nodiag")
    raw = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, check=True).stdout.decode()
    assert "ACME" in raw


def test_a_background_that_cannot_be_drawn_or_reads_a_file_is_refused():
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="297mm">{}</svg>'
    assert background_problem(svg.format('<rect x="1mm" y="1mm" width="9mm" height="9mm"/>')) is None
    for inner in ('<image href="file:///etc/hostname" width="10" height="10"/>',
                  '<image href="http://127.0.0.1:9/x.png" width="10" height="10"/>'):
        assert "cannot be drawn" in background_problem(svg.format(inner))
    assert background_problem("<svg") is not None


def test_a_batch_zip_holds_one_pdf_per_vehicle_named_by_vin_and_version(tools, tmp_path):
    import io
    import zipfile
    certs = [(sample(n), 1, f"{v}-v1.xml", "current") for n, v in (("L1e", "VINA"), ("L5e", "VINB"))]
    archive = zipfile.ZipFile(io.BytesIO(render_zip(certs, Layout())))
    assert archive.namelist() == ["VINA-v1.pdf", "VINB-v1.pdf"]
    # each file is whole on its own: its own font subsets (read once per process, copied per file) and eCoC
    for (document, _, name, _), pdf in zip(certs, archive.namelist()):
        problems, _ = check_paper(archive.read(pdf), document, tmp_path, name, pages_to_png=False)
        assert problems == [], name


def test_an_item_longer_than_a_page_runs_on_over_pages_and_loses_no_value(tools, tmp_path):
    document = sample("L1e")
    start, end = document.index(b"<RemarkTable>") + len(b"<RemarkTable>"), document.index(b"</RemarkTable>")
    remarks = b"".join(b"<RemarkGroup><RemarkSubjectDescription>RMRKS</RemarkSubjectDescription>"
                       b"<Remark>Remark number %d of a long list</Remark></RemarkGroup>" % n for n in range(1, 181))
    long = document[:start] + remarks + document[end:]
    pdf = render_pdf([(long, 1, "long.xml", "current")], Layout())
    problems, text = check_paper(pdf, long, tmp_path, "long", pages_to_png=False)
    assert problems == []
    flat = "".join(text.split())
    assert flat.index("Remarknumber179of") < flat.index("Remarknumber180of")
    assert "Page 6 of" in text  # the remarks alone fill pages


def test_the_signing_service_asks_a_renderer_child_process_about_a_background():
    from services.signing import paper_process
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="297mm">{}</svg>'
    assert paper_process.background_problem(svg.format('<rect width="9" height="9"/>'), 60) is None
    problem = paper_process.background_problem(svg.format('<image href="file:///etc/hostname"/>'), 60)
    assert "cannot be drawn" in problem and "Local file access is disabled" in problem


def test_a_release_renders_beside_single_prints_never_behind_them():
    """Print jobs' renders (`background`) have slots of their own: with every single-print slot taken, one still
    runs (the Timeout only keeps a regression from hanging the suite)."""
    import eventlet

    from services.signing import paper_process
    held = [paper_process.slots.acquire() for _ in range(paper_process.RENDERING_AT_ONCE)]
    try:
        with eventlet.Timeout(120):
            out = paper_process.render({"check": "background", "background_svg": "<svg"}, 60, background=True)
        assert out and paper_process.slots.balance == 0
    finally:
        for _ in held:
            paper_process.slots.release()
