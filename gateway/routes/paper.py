"""The paper CoC: print-ready PDFs of sealed certificates, one vehicle's or a release's, and each entity's
print settings for its security paper. Rendering runs in the signing service (a child process there), never
on this event loop. A release prints as a job (it may hold thousands of certificates): the POST answers 202
at once, the job is polled and its file downloaded in chunks of one RPC each."""
import base64

from marshmallow import Schema, fields, validate
from werkzeug.wrappers import Response

from common.contracts.responses import PaperJobOut, PaperLayoutOut
from common.contracts.signing import PaperLayoutIn
from gateway.auth import scoped
from gateway.http import json_response, route
from gateway.routes.dashboard import PAGE, PAGE_ERRORS

PRINT = ("Every download is a print: the first is the original, each later one is marked DUPLICATE with its "
         "re-print count, and every print is recorded in the audit (`paper_printed`).")


class PaperQuery(Schema):
    version = fields.Integer(validate=validate.Range(1, 1_000_000),
                             metadata={"description": "an IviVersionNumber; the current certificate when absent"})


class ReleasePaperQuery(Schema):
    form = fields.String(load_default="pdf", validate=validate.OneOf(("pdf", "zip")), metadata={
        "description": "`pdf`: one print file in VIN order; `zip`: one PDF per VIN"})


def retry_after(count):
    """Seconds to wait before asking about a job of `count` certificates again: about the time a few of them
    take, never long."""
    return max(2, min(30, count // 4))


def _download(content, media_type, filename, headers=None):
    return Response(content, status=200, mimetype=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', **(headers or {})})


class PaperRoutes:

    @route("GET", "/v1/vehicles/{vin}/certificate.pdf", roles=(), query=PaperQuery, produces="application/pdf",
           operation_id="getCertificatePdf",
           summary="The paper CoC of the current (or `?version=`) certificate, print-ready",
           description="A4, PDF/A-3b with fonts embedded and the sealed eCoC attached, laid out as the Annex VIII "
                       "model of Implementing Regulation (EU) 2020/683 (L category: Regulation (EU) No 901/2014) "
                       "from the sealed certificate's content; it carries the IviReferenceId, IviVersionNumber, "
                       "the certificate's SHA-256 and a QR code of them with the VIN. Sealed as PAdES when the "
                       "entity turned it on. " + PRINT)
    def certificate_pdf(self, call, vin):
        return self._printed(self._rpc("signing", "paper", vin, call.query.get("version")))

    @route("GET", "/dashboard/vehicles/{vin}/coc.pdf", produces="application/pdf", description=PAGE + " " + PRINT,
           operation_id="getCertificatePdfPage",
           errors=PAGE_ERRORS, summary="The paper CoC of the current certificate, downloaded from the vehicle page")
    def certificate_pdf_page(self, call, vin):
        return self._page(call, lambda identity: self._printed(self._rpc("signing", "paper", vin, None)))

    def _printed(self, printed):
        return _download(base64.b64decode(printed["pdf"]), "application/pdf", printed["filename"], {
            "X-Ivi-Reference-Id": printed["reference_id"], "X-Ivi-Version-Number": str(printed["version_number"]),
            "X-Certificate-Sha256": printed["sha256"], "X-Print-Number": str(printed["print_number"])})

    @route("POST", "/v1/releases/{id}/paper", roles=(), query=ReleasePaperQuery, response=PaperJobOut, status=202,
           location="/v1/paper-jobs/{id}", retry_after=5, operation_id="printReleasePaper",
           summary="Print the paper CoCs of a release's sealed certificates (one print file in VIN order, or a zip)",
           description="Starts a print job and answers at once (202) with the job, `Location` (the job) and "
                       "`Retry-After` (seconds); poll the job until `status` is `done`, then download its file "
                       "from `/v1/paper-jobs/{id}/file`, or read why it `failed`. " + PRINT)
    def release_paper(self, call, id):
        job = self._rpc("signing", "start_release_paper", id, call.query["form"])
        return self._job_response(job, 202)

    @route("GET", "/v1/paper-jobs/{id}", roles=(), response=PaperJobOut, operation_id="getPaperJob",
           summary="A release's print job: queued, rendering, done (size, SHA-256) or failed (with the reason)",
           description="While the job is queued or rendering the answer carries `Retry-After` (seconds).")
    def paper_job(self, call, id):
        return self._job_response(self._rpc("signing", "paper_job", id), 200)

    def _job_response(self, job, status):
        headers = {"Location": f"/v1/paper-jobs/{job['id']}"}
        if job["status"] in ("queued", "rendering"):
            headers["Retry-After"] = str(retry_after(job["count"]))
        return json_response(job, status=status, headers=headers)

    @route("GET", "/v1/paper-jobs/{id}/file", roles=(), produces="application/pdf", operation_id="downloadPaperJobFile",
           summary="The file of a finished print job (application/pdf or application/zip)",
           description="409 while the job is not done, or naming why it failed. `X-Content-Sha256` is the "
                       "SHA-256 of the file as stored when the job finished.")
    def paper_job_file(self, call, id):
        job = self._rpc("signing", "paper_job", id)
        parts, offset = [], 0
        while True:
            chunk = self._rpc("signing", "paper_job_chunk", id, offset)
            data = base64.b64decode(chunk["content"])
            parts.append(data)
            offset += len(data)
            if not data or offset >= chunk["size"]:
                break
        return _download(b"".join(parts), job["media_type"], job["filename"], {
            "X-Certificate-Count": str(job["count"]), "X-Content-Sha256": job["sha256"]})

    @route("GET", "/v1/entities/{code}/paper-layout", roles=(), response=PaperLayoutOut,
           summary="The entity's print settings for its paper CoCs")
    def get_paper_layout(self, call, code):
        scoped(call.identity, code, f"legal entity {code}")
        return self._rpc("signing", "paper_layout", code)

    @route("PUT", "/v1/entities/{code}/paper-layout", roles=("admin",), body=PaperLayoutIn, response=PaperLayoutOut,
           summary="Set the entity's print settings: margins, background layer, watermark, language, PAdES")
    def put_paper_layout(self, call, code):
        scoped(call.identity, code, f"legal entity {code}")
        return self._rpc("signing", "set_paper_layout", code, call.body)
