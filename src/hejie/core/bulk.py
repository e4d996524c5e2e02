"""Writing many new rows at once, below the ORM's per-object cost.

``bulk_insert(model, fields, rows)`` writes tuples (one value per name in ``fields``, attnames such as
``business_id``) into ``model``'s table: with ``COPY ... FROM STDIN`` on PostgreSQL (psycopg 3 streams
the rows; no statement is built per row) and with one prepared ``INSERT`` run by ``executemany`` on
SQLite. Every other concrete column gets the field's default, computed once per call (a callable
default such as ``clock.now`` gives the same value to every row of the call: pass the column when that
matters). No ``save()``, no signals, no ``auto_now``: the caller passes what the model would set.

Values go to the driver as Python values: text, numbers, booleans, None, aware datetimes (converted the
way Django stores them on SQLite), and JSON fields as JSON text. ``next_ids(model, n)`` reserves ``n``
primary keys from the table's sequence on PostgreSQL, so that a caller can COPY rows with their ids
and refer to them at once (stores to their business) without reading them back.

Used by the partner import's preview and commit (``hejie.partners.services``), where building 100,000
model instances and their INSERT statements was most of the time.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connections, models

ROW_BATCH = 2000  # rows per executemany on SQLite (one prepared statement; memory stays small)


def _converter(field: models.Field[Any, Any], vendor: str, connection: Any) -> Callable[[Any], Any] | None:
    if isinstance(field, models.JSONField):
        return lambda v: None if v is None else json.dumps(v, ensure_ascii=False, cls=field.encoder)
    if vendor != "postgresql" and isinstance(field, models.DateTimeField):
        adapt = connection.ops.adapt_datetimefield_value
        return lambda v: adapt(v) if isinstance(v, dt.datetime) else v
    if vendor != "postgresql" and isinstance(field, models.DecimalField):
        adapt = connection.ops.adapt_decimalfield_value
        return lambda v: None if v is None else adapt(v, field.max_digits, field.decimal_places)
    return None


def bulk_insert(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]], *,
                using: str = "default") -> int:
    """Insert ``rows`` (tuples in the order of ``fields``) into ``model``'s table; returns how many.
    Runs in the caller's transaction (wrap it in ``transaction.atomic`` for all or nothing)."""
    connection = connections[using]
    vendor = connection.vendor
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    unknown = [name for name in fields if name not in by_attname]
    if unknown:
        raise ValueError(f"{model.__name__} has no column {', '.join(unknown)}")
    given = list(fields)
    rest = [f for f in model._meta.concrete_fields if f.attname not in given and not f.primary_key]
    defaults = tuple(f.get_default() for f in rest)
    all_fields = [by_attname[name] for name in given] + rest
    converters = [_converter(f, vendor, connection) for f in all_fields]
    if not any(converters):
        def shape(row: Sequence[Any]) -> tuple[Any, ...]:
            return (*row, *defaults)
    else:
        def shape(row: Sequence[Any]) -> tuple[Any, ...]:
            values = (*row, *defaults)
            return tuple(c(v) if c else v for c, v in zip(converters, values, strict=True))
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in all_fields)
    count = 0
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            raw = cursor.cursor  # psycopg 3
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(shape(row))
                    count += 1
            return count
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(all_fields))})"  # noqa: S608
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(shape(row))
            if len(batch) >= ROW_BATCH:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def next_ids(model: type[models.Model], n: int, *, using: str = "default") -> list[int]:
    """``n`` fresh primary keys from the table's own sequence (PostgreSQL only): rows written with
    them never collide with rows the ORM inserts meanwhile."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        raise NotImplementedError("next_ids needs PostgreSQL's sequences")
    if n <= 0:
        return []
    pk = model._meta.pk
    if pk is None:
        raise ValueError(f"{model.__name__} has no primary key")
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                       [model._meta.db_table, pk.column, n])
        return [row[0] for row in cursor.fetchall()]
