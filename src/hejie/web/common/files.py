"""Evidence (and the files of black-list appeals) are served only here: permission-checked,
never from a public URL."""

from urllib.parse import quote

from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from hejie.complaints.evidence import evidence_open_for
from hejie.core.errors import NotFound


def evidence_response(evidence, *, download: bool = False) -> FileResponse:
    response = FileResponse(evidence.file.open("rb"), content_type=evidence.content_type)
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(evidence.original_name)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Length"] = str(evidence.size)
    return response


@require_GET
def evidence_file(request, complaint_id: int, evidence_id: int):
    try:
        evidence = evidence_open_for(request.user, complaint_id, evidence_id)
    except NotFound:
        raise Http404("no such file") from None
    return evidence_response(evidence, download=request.GET.get("download") == "1")


@require_GET
def appeal_file(request, appeal_id: int, file_id: int):
    from hejie.ratings.lists import appeal_file_open_for

    try:
        row = appeal_file_open_for(request.user, appeal_id, file_id)
    except NotFound:
        raise Http404("no such file") from None
    return evidence_response(row, download=request.GET.get("download") == "1")
