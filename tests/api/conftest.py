import pytest

from hejie.accounts.services import token_create


class Api:
    """A thin JSON client: ``api.post("/complaints", {...}, as_=user)``."""

    def __init__(self, client):
        self.client = client

    def _headers(self, as_, headers):
        h = dict(headers or {})
        if as_ is not None:
            h["Authorization"] = f"Bearer {as_ if isinstance(as_, str) else token_create(user=as_)}"
        return h

    def get(self, path, *, as_=None, headers=None, **params):
        return self.client.get(f"/api/v1{path}", params, headers=self._headers(as_, headers))

    def post(self, path, data=None, *, as_=None, headers=None, raw=None):
        body = raw if raw is not None else data
        return self.client.post(f"/api/v1{path}", body, content_type="application/json",
                                headers=self._headers(as_, headers))

    def delete(self, path, *, as_=None, headers=None):
        return self.client.delete(f"/api/v1{path}", headers=self._headers(as_, headers))

    def upload(self, path, files, *, as_=None):
        return self.client.post(f"/api/v1{path}", files, headers=self._headers(as_, None))


@pytest.fixture
def api(client):
    return Api(client)
