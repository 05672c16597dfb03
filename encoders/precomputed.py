"""Item-level vectors that come with the source data (Ozon's name BERT and picture embeddings).

They arrive as variable-size float lists (``SOURCE_EMBEDDINGS_SCHEMA``); the store keeps each space
as L2-normalised fixed-size float16 vectors, like the encoders' output. Rows of one space must all
have the same length, and a vector that is all zero or holds NaN/inf is an error naming its item,
never a silent zero.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from featurestore.schemas import embedding_type


def source_embedding_schema(dim: int, dtype: pa.DataType = pa.float16()) -> pa.Schema:
    """Schema of one normalised space: item_id, photo_index, fixed-size embedding."""
    return pa.schema(
        [
            pa.field("item_id", pa.string(), nullable=False),
            pa.field("photo_index", pa.int16(), nullable=False),
            pa.field("embedding", embedding_type(dim, dtype), nullable=False),
        ]
    )


def normalize_source_embeddings(
    table: pa.Table, space: str, *, dtype: pa.DataType = pa.float16()
) -> pa.Table:
    """Rows of ``space`` with vectors L2-normalised and cast to a fixed-size list of ``dtype``."""
    rows = table.filter(pc.equal(table.column("space"), space))
    if rows.num_rows == 0:
        raise ValueError(f"source embeddings: no rows for space {space!r}")
    emb = rows.column("embedding").combine_chunks()
    if emb.null_count:
        raise ValueError(f"source embeddings, space {space!r}: {emb.null_count} null vectors")
    lengths = pc.list_value_length(emb).to_numpy(zero_copy_only=False)
    dim = int(lengths[0])
    bad = np.flatnonzero(lengths != dim)
    if len(bad) or dim == 0:
        row = int(bad[0]) if len(bad) else 0
        raise ValueError(
            f"source embeddings, space {space!r}: row {row} (item_id "
            f"{rows.column('item_id')[row].as_py()!r}) has {lengths[row]} values, expected {dim}"
        )
    values = emb.flatten().to_numpy(zero_copy_only=False).astype(np.float32).reshape(-1, dim)
    norms = np.linalg.norm(values, axis=1)
    invalid = ~np.isfinite(norms) | (norms == 0)
    if invalid.any():
        row = int(np.flatnonzero(invalid)[0])
        raise ValueError(
            f"source embeddings, space {space!r}: {int(invalid.sum())} vectors are zero or not "
            f"finite (first: row {row}, item_id {rows.column('item_id')[row].as_py()!r})"
        )
    unit = (values / norms[:, None]).reshape(-1)
    flat = pa.array(unit, type=pa.float32()).cast(dtype)
    return pa.Table.from_arrays(
        [
            rows.column("item_id").combine_chunks(),
            rows.column("photo_index").combine_chunks().cast(pa.int16()),
            pa.FixedSizeListArray.from_arrays(flat, dim),
        ],
        schema=source_embedding_schema(dim, dtype),
    )
