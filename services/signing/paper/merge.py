"""A print job's parts put together into its one file, in the order of the parts (the release's VIN order).

`merge_pdfs` makes the file rendering the whole release at once would make: the pages of every part, the sealed
eCoC of every certificate attached (PDF/A-3 associated files and the EmbeddedFiles name tree), and the PDF/A
catalogue of the first part (output intent, XMP metadata, language). Each part embeds its own font subsets under
fpdf2's one subset tag; they are tagged anew per part, so no two different subsets share a name. The whole file
is held in memory while it is written. `merge_zips` puts the parts' entries (one PDF per VIN) into one zip.
"""
import io
import re
import string
import zipfile

import pikepdf

_SUBSET = re.compile(r"^/[A-Z]{6}\+")


def merge_pdfs(parts: list[bytes]) -> bytes:
    opened = [pikepdf.open(io.BytesIO(part)) for part in parts]
    merged = opened[0]  # its catalogue is the file's: PDF/A output intent, XMP metadata, language, open action
    files, names = [], []
    for number, pdf in enumerate(opened):
        _retag_fonts(pdf, _tag(number))
        own_files = list(pdf.Root.get("/AF", []))
        tree = pdf.Root.get("/Names", {}).get("/EmbeddedFiles", {}).get("/Names", [])
        own_names = [(str(tree[i]), tree[i + 1]) for i in range(0, len(tree), 2)]
        if pdf is not merged:
            merged.pages.extend(pdf.pages)
            # one copier per part: a file spec in both /AF and the name tree is copied once
            own_files = [merged.copy_foreign(f) for f in own_files]
            own_names = [(name, merged.copy_foreign(spec)) for name, spec in own_names]
        files += own_files
        names += own_names
    merged.Root.AF = pikepdf.Array(files)
    # a name tree's keys are sorted; the attachments are named by VIN, so this keeps the parts' order
    merged.Root.Names.EmbeddedFiles = pikepdf.Dictionary(
        Names=pikepdf.Array([item for name, spec in sorted(names, key=lambda n: n[0]) for item in (name, spec)]))
    out = io.BytesIO()
    # the parts are read lazily until here (all stay open); the first part's XMP is kept byte for byte
    merged.save(out, deterministic_id=True, fix_metadata_version=False)
    for pdf in opened:
        pdf.close()
    return out.getvalue()


def _tag(number):
    """A subset tag of six capital letters, its own for each part."""
    letters = []
    for _ in range(6):
        number, digit = divmod(number, 26)
        letters.append(string.ascii_uppercase[digit])
    return "".join(reversed(letters))


def _retag_fonts(pdf, tag):
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary):
            continue
        for key in ("/BaseFont", "/FontName"):
            name = obj.get(key)
            if isinstance(name, pikepdf.Name) and _SUBSET.match(str(name)):
                obj[key] = pikepdf.Name(f"/{tag}+{str(name)[8:]}")


def merge_zips(parts: list[bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as merged:
        for part in parts:
            with zipfile.ZipFile(io.BytesIO(part)) as z:
                for entry in z.infolist():
                    merged.writestr(entry, z.read(entry))
    return out.getvalue()
