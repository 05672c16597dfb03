"""Shared pieces of the source adapters: reading files, column checks, stats, casting to schemas.

Every adapter reads its files with ``read_frame`` (parquet as stored; CSV with every column read as a
string, so nothing is inferred from the first rows), builds polars columns named like ITEMS_SCHEMA,
and hands them to ``finish_items`` / ``finish_pairs`` / ``finish_embeddings``, which add missing
optional columns as nulls, drop and count rows without an id, and cast to the canonical schema.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa

from featurestore.schemas import ITEMS_SCHEMA, PAIRS_SCHEMA, SOURCE_EMBEDDINGS_SCHEMA


class SourceFormatError(ValueError):
    """A source file does not have the layout its format needs (names the file and the problem)."""


@dataclass
class SourceStats:
    """What an adapter read and what it had to drop or could not parse.

    ``rows_read``: rows per input file. ``rows_skipped``: reason -> rows dropped (e.g. a null id).
    ``values_invalid``: reason -> values set to null because they did not parse (the row is kept).
    ``nulls``: column -> null count in the produced items table (null titles etc. are allowed).
    """

    rows_read: dict[str, int] = field(default_factory=dict)
    rows_skipped: dict[str, int] = field(default_factory=dict)
    values_invalid: dict[str, int] = field(default_factory=dict)
    nulls: dict[str, int] = field(default_factory=dict)

    _FIELDS = ("rows_read", "rows_skipped", "values_invalid", "nulls")

    def as_dict(self) -> dict[str, dict[str, int]]:
        """Plain nested dict (JSON-serialisable), e.g. for run metadata."""
        return {name: dict(getattr(self, name)) for name in self._FIELDS}

    # Mapping protocol, so that ``dict(stats)`` works like ``stats.as_dict()``.
    def keys(self) -> tuple[str, ...]:
        return self._FIELDS

    def __getitem__(self, name: str) -> dict[str, int]:
        if name not in self._FIELDS:
            raise KeyError(name)
        return getattr(self, name)

    def skip(self, reason: str, n: int) -> None:
        if n:
            self.rows_skipped[reason] = self.rows_skipped.get(reason, 0) + int(n)

    def invalid(self, reason: str, n: int) -> None:
        if n:
            self.values_invalid[reason] = self.values_invalid.get(reason, 0) + int(n)


@dataclass
class SourceTables:
    """The canonical tables an adapter produces (pairs and embeddings may have 0 rows)."""

    items: pa.Table
    pairs: pa.Table
    source_embeddings: pa.Table
    stats: SourceStats


def read_frame(
    path: Path, required: Iterable[str], stats: SourceStats, *, columns: Sequence[str] | None = None
) -> pl.DataFrame:
    """Read one parquet or CSV file; fail naming the file and the missing required columns.

    CSV columns are all read as strings (adapters cast them explicitly). ``columns`` restricts
    what is loaded (names absent from the file are ignored).
    """
    suffix = path.suffix.lower()
    if suffix == ".parquet" or suffix == ".pq":
        names = pl.read_parquet_schema(path).keys()
        wanted = [c for c in columns if c in names] if columns is not None else None
        df = pl.read_parquet(path, columns=wanted)
    elif suffix in (".csv", ".tsv"):
        df = pl.read_csv(
            path,
            infer_schema=False,
            separator="\t" if suffix == ".tsv" else ",",
            raise_if_empty=False,
        )
        if columns is not None:
            df = df.select([c for c in columns if c in df.columns])
        names = df.columns
    else:
        raise SourceFormatError(f"{path}: unsupported file type {suffix!r} (use .parquet or .csv)")
    missing = [c for c in required if c not in names]
    if missing:
        raise SourceFormatError(
            f"{path}: missing required column(s) {missing}; the file has {sorted(names)}"
        )
    stats.rows_read[str(path)] = df.height
    return df


def find_files(
    path: Path, patterns: Sequence[str], what: str, *, required: bool = True
) -> list[Path]:
    """Files for one role inside a source directory (or ``path`` itself when it is a file)."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"source path {path} does not exist")
    for pattern in patterns:
        found = sorted(p for p in path.glob(pattern) if p.is_file())
        if found:
            return found
    if required:
        raise FileNotFoundError(f"{path}: no {what} file found (looked for {list(patterns)})")
    return []


def ensure_columns(df: pl.DataFrame, names: Iterable[str]) -> pl.DataFrame:
    """Add absent columns as all-null strings, so optional source columns can be referenced."""
    absent = [n for n in names if n not in df.columns]
    return df.with_columns([pl.lit(None, dtype=pl.String).alias(n) for n in absent])


def as_float(df: pl.DataFrame, column: str, stats: SourceStats, reason: str) -> pl.Expr:
    """``column`` as Float64; values present but not numeric become null and are counted."""
    src = pl.col(column)
    if df.schema[column] == pl.String:
        src = src.str.strip_chars()
    out = src.cast(pl.Float64, strict=False)
    bad = df.select((pl.col(column).is_not_null() & out.is_null()).sum()).item()
    stats.invalid(reason, bad)
    return out


def _type_for(field_: pa.Field) -> pl.DataType:
    return pl.from_arrow(pa.table({"x": pa.array([], field_.type)}))["x"].dtype


def finish_items(df: pl.DataFrame, stats: SourceStats, source: str) -> pa.Table:
    """Cast to ITEMS_SCHEMA: add absent columns as null, drop (count) null and repeated ids."""
    df = df.with_columns(
        [
            pl.lit(None, dtype=_type_for(f)).alias(f.name)
            for f in ITEMS_SCHEMA
            if f.name not in df.columns
        ]
    ).select(
        [pl.col(f.name).cast(_type_for(f)) for f in ITEMS_SCHEMA]  # fixed order and types
    )
    # A price that is NaN (pandas' missing value, a "nan" cell), infinite or negative is no price:
    # it would give features such as price_ratio < 0 or log differences of -inf.
    bad_price = (
        pl.col("price").is_nan() | pl.col("price").is_infinite() | (pl.col("price") < 0)
    ).fill_null(False)
    stats.invalid(
        f"{source}: price NaN, infinite or negative (made null)",
        df.select(bad_price.sum()).item(),
    )
    df = df.with_columns(pl.when(bad_price).then(None).otherwise(pl.col("price")).alias("price"))
    n = df.height
    df = df.filter(pl.col("item_id").is_not_null())
    stats.skip(f"{source}: null item_id", n - df.height)
    n = df.height
    df = df.unique(subset="item_id", keep="first", maintain_order=True)
    stats.skip(f"{source}: repeated item_id (first row kept)", n - df.height)
    for name, count in df.null_count().row(0, named=True).items():
        if count and name != "item_id":
            stats.nulls[name] = stats.nulls.get(name, 0) + count
    return df.to_arrow().cast(ITEMS_SCHEMA)


def finish_pairs(df: pl.DataFrame | None, stats: SourceStats, source: str) -> pa.Table:
    """Cast to PAIRS_SCHEMA; rows with a null id are dropped and counted."""
    if df is None:
        return PAIRS_SCHEMA.empty_table()
    df = df.select(
        pl.col("item_id_1").cast(pl.String),
        pl.col("item_id_2").cast(pl.String),
        pl.col("label").cast(pl.Int8),
    )
    n = df.height
    df = df.filter(pl.col("item_id_1").is_not_null() & pl.col("item_id_2").is_not_null())
    stats.skip(f"{source}: pair with a null id", n - df.height)
    return df.to_arrow().cast(PAIRS_SCHEMA)


def finish_embeddings(df: pl.DataFrame | None) -> pa.Table:
    """Cast to SOURCE_EMBEDDINGS_SCHEMA (columns item_id, space, photo_index, embedding)."""
    if df is None or df.height == 0:
        return SOURCE_EMBEDDINGS_SCHEMA.empty_table()
    df = df.select(
        pl.col("item_id").cast(pl.String),
        pl.col("space").cast(pl.String),
        pl.col("photo_index").cast(pl.Int16),
        pl.col("embedding").cast(pl.List(pl.Float32)),
    )
    return df.to_arrow().cast(SOURCE_EMBEDDINGS_SCHEMA)


def label_expr(df: pl.DataFrame, column: str, stats: SourceStats, source: str) -> pl.Expr:
    """A 0/1 label column as Int8; other values become null and are counted.

    A float column's NaN is a missing label, not an invalid one (pandas writes an int column
    with gaps as float64 with NaN).
    """
    if column not in df.columns:
        return pl.lit(None, dtype=pl.Int8)
    value = pl.col(column)
    if df.schema[column] == pl.String:
        value = value.str.strip_chars()
    elif df.schema[column].is_float():
        value = value.fill_nan(None)
    num = value.cast(pl.Float64, strict=False)
    ok = num.is_in([0.0, 1.0])
    bad = df.select((value.is_not_null() & ~ok).sum()).item()
    stats.invalid(f"{source}: {column} not 0/1", bad)
    return pl.when(ok).then(num.cast(pl.Int8)).otherwise(None)


def json_object_expr(fields: dict[str, pl.Expr]) -> pl.Expr:
    """A JSON object string per row built from named columns, leaving out null values.

    Vectorised: each field is JSON-encoded by polars as a one-key object, the braces are stripped to
    get ``"key":value``, and the fragments are joined with nulls ignored. An all-null row gives null.
    """
    parts = [
        pl.when(expr.is_not_null())
        .then(pl.struct(expr.alias(key)).struct.json_encode().str.slice(1).str.strip_suffix("}"))
        .otherwise(None)
        for key, expr in fields.items()
    ]
    body = pl.concat_str(parts, separator=",", ignore_nulls=True)
    return pl.when(body != "").then(pl.lit("{") + body + pl.lit("}")).otherwise(None)


def _scalar(value: object) -> object:
    """Attribute value in the canonical form: a scalar; lists are joined with ", "."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value if v is not None) if value else None
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _parse_attributes(text: str) -> dict | None:
    """Parse one attribute string: a JSON/Python-literal dict, or a list of "key: value" strings.

    Returns None when the text is not any of those forms.
    """
    text = text.strip()
    if not text:
        return {}
    try:
        obj = json.loads(text)
    except ValueError:
        try:
            obj = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return None
    if isinstance(obj, dict):
        return {str(k): _scalar(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        out: dict[str, object] = {}
        for i, entry in enumerate(obj):
            if isinstance(entry, dict) and len(entry) == 1:
                ((k, v),) = entry.items()
                out[str(k)] = _scalar(v)
            elif isinstance(entry, dict) and {"name", "value"} <= entry.keys():
                out[str(entry["name"])] = _scalar(entry["value"])
            elif isinstance(entry, list | tuple) and len(entry) == 2:
                out[str(entry[0])] = _scalar(entry[1])
            elif isinstance(entry, str) and ":" in entry:
                k, v = entry.split(":", 1)
                out[k.strip()] = v.strip()
            else:
                out[f"attr_{i}"] = _scalar(entry)
        return out
    return None


def canonical_attributes(values: pl.Series, stats: SourceStats, reason: str) -> pl.Series:
    """Attribute strings in any supported form -> canonical JSON objects of scalars (or null).

    Keys differ from row to row, so this cannot be a fixed-schema ``json_decode``; it parses each
    DISTINCT string once in Python (sources repeat attribute strings a lot) and maps the rest.
    Strings that do not parse become null and are counted under ``reason``.
    """
    distinct = values.drop_nulls().unique()
    mapped: list[str | None] = []
    bad: list[str] = []
    for text in distinct.to_list():
        obj = _parse_attributes(text)
        if obj is None:
            bad.append(text)
            mapped.append(None)
        elif text.strip() == "":
            mapped.append(None)  # an empty cell is missing data, not an empty dict
        else:
            mapped.append(json.dumps(obj, ensure_ascii=False))
    lookup = pl.DataFrame(
        {"_raw": distinct, "_canon": pl.Series(mapped, dtype=pl.String)},
        schema={"_raw": pl.String, "_canon": pl.String},
    )
    joined = (
        values.cast(pl.String)
        .to_frame("_raw")
        .join(lookup, on="_raw", how="left", maintain_order="left")
    )
    if bad:
        bad_values = pl.Series(bad, dtype=pl.String).implode()
        stats.invalid(reason, int(values.cast(pl.String).is_in(bad_values).sum()))
    return joined["_canon"]


def image_paths_expr(ids: pl.Expr, template: str, images_dir: str) -> pl.Expr:
    """A list of image paths from a list of image ids and a template.

    Template placeholders: ``{images_dir}``, ``{id}``, ``{id_last2}`` (last two characters of the
    id) and ``{id_mod100}`` (the id as an integer modulo 100). Built with list.eval, no row loop.
    """
    import re

    pieces: list[pl.Expr] = []
    for k, token in enumerate(re.split(r"(\{[a-z_0-9]+\})", template)):
        if k % 2 == 0:
            if token:
                pieces.append(pl.lit(token))
        elif token == "{images_dir}":
            pieces.append(pl.lit(images_dir))
        elif token == "{id}":
            pieces.append(pl.element())
        elif token == "{id_last2}":
            pieces.append(pl.element().str.slice(-2))
        elif token == "{id_mod100}":
            pieces.append((pl.element().cast(pl.Int64, strict=False) % 100).cast(pl.String))
        else:
            raise ValueError(f"image template {template!r}: unknown placeholder {token}")
    return ids.list.eval(pl.concat_str(pieces))


def string_col(df: pl.DataFrame, name: str) -> pl.Expr:
    """Column ``name`` as a string (null where the frame lacks it)."""
    if name not in df.columns:
        return pl.lit(None, dtype=pl.String)
    return pl.col(name).cast(pl.String)
