"""Evidence (and the files of black-list appeals) are served only here: permission-checked,
never from a public URL. The response itself is ``core.http.stored_file_response``."""

from django.http import FileResponse, Http404, HttpResponse
from django.views.decorators.http import require_GET

from hejie.complaints.evidence import evidence_open_for
from hejie.core.errors import NotFound, Unavailable
from hejie.core.http import stored_file_response
from hejie.ratings.lists import appeal_file_open_for


def storage_unavailable(exc: Unavailable) -> HttpResponse:
    """The storage is out of reach for now (logged where it failed): say so, and when to retry."""
    response = HttpResponse(exc.message, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = "30"
    return response


def evidence_response(evidence, *, download: bool = False) -> FileResponse | HttpResponse:
    try:
        return stored_file_response(evidence, download=download)
    except NotFound:  # the row is there, its file is not (logged by stored_file_response)
        raise Http404("no such file") from None
    except Unavailable as exc:
        return storage_unavailable(exc)


@require_GET
def evidence_file(request, complaint_id: int, evidence_id: int):
    try:
        evidence = evidence_open_for(request.user, complaint_id, evidence_id)
    except NotFound:
        raise Http404("no such file") from None
    return evidence_response(evidence, download=request.GET.get("download") == "1")


@require_GET
def appeal_file(request, appeal_id: int, file_id: int):
    try:
        row = appeal_file_open_for(request.user, appeal_id, file_id)
    except NotFound:
        raise Http404("no such file") from None
    return evidence_response(row, download=request.GET.get("download") == "1")
