"""Webhooks: a business registers URLs; every event on its orders is POSTed
there, signed, retried with backoff, and logged for the business to read.

How a receiver verifies a delivery (see ``signing.py``)::

    timestamp = request.headers["X-Hejie-Timestamp"]
    signed = timestamp.encode() + b"." + raw_body          # the bytes as received
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    ok = hmac.compare_digest(expected, request.headers["X-Hejie-Signature"])
    ok = ok and abs(time.time() - int(timestamp)) <= 300    # refuse replays older than 5 minutes

and deduplicates on the body's ``id`` (the delivery id, also in
``X-Hejie-Delivery``): a delivery can arrive more than once.
"""
