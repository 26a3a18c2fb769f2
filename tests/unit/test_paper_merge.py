"""A print job's parts put together (services/signing/paper/merge.py): the official samples rendered whole and in
parts give the same print file, read back with poppler's tools and pikepdf, and the same zip."""
import io
import re
import subprocess
import zipfile

import pikepdf
import pytest

from services.signing.paper import worker
from services.signing.paper.merge import merge_pdfs, merge_zips
from services.signing.paper.render import Layout, render_pdf, render_zip
from tests.paper_checks import check_paper, missing_tools
from tests.unit.test_paper_render import sample

NAMES = ("L1e", "L5e", "M1-02-CHR", "M1-03-Mirai")


@pytest.fixture(scope="module")
def certificates():
    # attachment names in VIN order, as a release names them
    return [(sample(name), 1, f"VIN{n}-v1.xml", "current") for n, name in enumerate(NAMES)]


@pytest.fixture(scope="module")
def tools():
    missing = missing_tools()
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: `make system-deps` installs poppler-utils and zbar-tools")


def in_parts(certificates):
    return [render_pdf(certificates[:1], Layout()), render_pdf(certificates[1:3], Layout()),
            render_pdf(certificates[3:], Layout())]


def poppler(tool, pdf, tmp_path, *options):
    path = tmp_path / "file.pdf"
    path.write_bytes(pdf)
    return subprocess.run([tool, *options, str(path), *(["-"] if tool == "pdftotext" else [])],
                          capture_output=True, check=True).stdout.decode()


def test_the_parts_put_together_print_what_the_whole_release_prints(certificates, tools, tmp_path):
    whole = render_pdf(certificates, Layout())
    merged = merge_pdfs(in_parts(certificates))
    assert poppler("pdftotext", merged, tmp_path) == poppler("pdftotext", whole, tmp_path)
    listed = poppler("pdfdetach", merged, tmp_path, "-list")
    assert listed == poppler("pdfdetach", whole, tmp_path, "-list")
    assert re.findall(r"^\d+: (.+)$", listed, re.M) == [name for _, _, name, _ in certificates]
    # the first certificate checked as a paper CoC: its values, its eCoC attached first, PDF/A-3b, fonts embedded
    problems, _ = check_paper(merged, certificates[0][0], tmp_path, "merged", pages_to_png=False)
    assert problems == []


def test_every_certificate_is_attached_once_in_order_and_the_pdfa_catalogue_once(certificates):
    parts = in_parts(certificates)
    with pikepdf.open(io.BytesIO(merge_pdfs(parts))) as merged, pikepdf.open(io.BytesIO(parts[0])) as first:
        documents = [document for document, _, _, _ in certificates]
        assert [f.EF.F.read_bytes() for f in merged.Root.AF] == documents
        tree = merged.Root.Names.EmbeddedFiles.Names
        assert [str(tree[i]) for i in range(0, len(tree), 2)] == [name for _, _, name, _ in certificates]
        assert [tree[i].EF.F.read_bytes() for i in range(1, len(tree), 2)] == documents
        assert {f.objgen for f in merged.Root.AF} == {tree[i].objgen for i in range(1, len(tree), 2)}
        assert len(merged.Root.OutputIntents) == 1
        assert merged.Root.Metadata.read_bytes() == first.Root.Metadata.read_bytes()
        assert merged.Root.OpenAction[0].objgen == merged.pages[0].objgen


def test_each_parts_font_subsets_get_a_tag_of_their_own(certificates):
    with pikepdf.open(io.BytesIO(merge_pdfs(in_parts(certificates)))) as merged:
        fonts = {(str(f.BaseFont), f.DescendantFonts[0].FontDescriptor.FontFile2.objgen)
                 for page in merged.pages for f in page.Resources.Font.values()}
    names = [name for name, _ in fonts]
    assert len(fonts) == 6  # two fonts in each of three parts, each part its own subsets
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"/[A-Z]{6}\+DejaVuSans(Book|Bold)", name) for name in names)


def test_putting_together_is_deterministic(certificates):
    parts = in_parts(certificates)
    assert merge_pdfs(parts) == merge_pdfs(parts)


def test_the_zips_parts_put_together_keep_every_entry_in_order(certificates):
    parts = [render_zip(certificates[:3], Layout()), render_zip(certificates[3:], Layout())]
    merged = zipfile.ZipFile(io.BytesIO(merge_zips(parts)))
    assert merged.namelist() == [f"VIN{n}-v1.pdf" for n in range(len(NAMES))]
    entries = [(info.filename, z.read(info)) for z in map(zipfile.ZipFile, map(io.BytesIO, parts))
               for info in z.infolist()]
    assert [(name, merged.read(name)) for name in merged.namelist()] == entries


def test_the_renderer_child_puts_parts_together_as_a_job():
    import base64
    parts = in_parts([(sample("L1e"), 1, f"VIN{n}-v1.xml", "current") for n in range(4)])
    job = {"merge": [base64.b64encode(p).decode("ascii") for p in parts], "form": "pdf", "seal": None}
    assert worker.run(job) == merge_pdfs(parts)
