"""The consumer's pages: filing ("我要和解"), step by step."""

from django.urls import path

from hejie.web.consumer import filing

urlpatterns = [
    path("file/", filing.file_start, name="file-start"),
    path("file/business/", filing.file_business, name="file-business"),
    path("file/store/", filing.file_store, name="file-store"),
    path("file/problem/", filing.file_problem, name="file-problem"),
    path("file/claim/", filing.file_claim, name="file-claim"),
    path("file/evidence/", filing.file_evidence, name="file-evidence"),
    path("file/evidence/<id:file_id>/", filing.file_evidence_file, name="file-evidence-file"),
    path("file/evidence/<id:file_id>/remove/", filing.file_evidence_remove, name="file-evidence-remove"),
    path("file/review/", filing.file_review, name="file-review"),
    path("file/discard/", filing.file_discard, name="file-discard"),
    path("file/done/<id:complaint_id>/", filing.file_done, name="file-done"),
]
