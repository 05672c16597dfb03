"""Canonical table schemas shared by every package.

These are explicit constants: adapters cast to them, the store validates against them, and nothing
is inferred from the first batch of data. Partition columns (``snapshot``, ``model``, ``feature_set``,
``version``) are not part of the file schemas; they live in the Hive path.
"""

from __future__ import annotations

import pyarrow as pa

#: One row per product card, as every source adapter produces it.
ITEMS_SCHEMA = pa.schema(
    [
        pa.field("item_id", pa.string(), nullable=False),
        pa.field("title", pa.string()),
        pa.field("description", pa.string()),
        # Category path from the root, e.g. ["Электроника", "Телефоны", "Смартфоны"].
        pa.field("category_path", pa.list_(pa.string())),
        # Attribute dict serialised as a JSON object of string keys to scalar values.
        pa.field("attributes", pa.string()),
        pa.field("price", pa.float64()),
        pa.field("seller_id", pa.string()),
        pa.field("city", pa.string()),
        pa.field("region", pa.string()),
        # Photo locations: absolute local paths or fsspec URLs; the first one is the main photo.
        pa.field("image_paths", pa.list_(pa.string())),
        # Per-item label where a source has one: a category id (KazanExpress) ...
        pa.field("category_id", pa.string()),
        # ... or a numeric target (Avito demand: deal_probability).
        pa.field("target", pa.float64()),
    ]
)

#: One row per candidate pair. ``label`` is 1 for a duplicate / match, 0 for not, null if unknown.
PAIRS_SCHEMA = pa.schema(
    [
        pa.field("item_id_1", pa.string(), nullable=False),
        pa.field("item_id_2", pa.string(), nullable=False),
        pa.field("label", pa.int8()),
    ]
)

#: Item-level vectors that arrive with the source data (Ozon's name BERT and picture embeddings).
#: ``space`` names what was embedded ("title", "photo"); photo_index 0 is the main photo.
#: Vectors have different sizes per space, so they are variable-size lists here; the store casts
#: each space to a fixed-size list when it writes it.
SOURCE_EMBEDDINGS_SCHEMA = pa.schema(
    [
        pa.field("item_id", pa.string(), nullable=False),
        pa.field("space", pa.string(), nullable=False),
        pa.field("photo_index", pa.int16(), nullable=False),
        pa.field("embedding", pa.list_(pa.float32()), nullable=False),
    ]
)

#: Cleaned text columns added to items by textclean (original columns are kept beside them).
CLEAN_TEXT_FIELDS = ("title", "description")


def embedding_type(dim: int, dtype: pa.DataType = pa.float16()) -> pa.DataType:
    """Arrow type for one embedding vector: a fixed-size list of ``dim`` floats."""
    return pa.list_(pa.field("item", dtype, nullable=False), dim)


def text_embedding_schema(dim: int, dtype: pa.DataType = pa.float16()) -> pa.Schema:
    """Schema of a text-embedding cache part file (one model key per folder)."""
    return pa.schema(
        [
            pa.field("content_hash", pa.string(), nullable=False),
            pa.field("embedding", embedding_type(dim, dtype), nullable=False),
        ]
    )


def image_embedding_schema(dim: int, dtype: pa.DataType = pa.float16()) -> pa.Schema:
    """Schema of an image-embedding cache part file (one model key per folder)."""
    return pa.schema(
        [
            pa.field("image_hash", pa.string(), nullable=False),
            pa.field("embedding", embedding_type(dim, dtype), nullable=False),
        ]
    )


#: Statistics textclean adds for each cleaned text column ``c``: ``c_clean`` and these.
REPAIR_STAT_FIELDS = (
    ("words", pa.int32()),
    ("mixed_words", pa.int32()),
    ("repaired_words", pa.int32()),
    ("ambiguous_words", pa.int32()),
    ("other_words", pa.int32()),  # words in scripts other than Cyrillic/Latin (RTL, CJK, ...)
    ("broken_share", pa.float32()),
)


def clean_items_schema(columns: tuple[str, ...] = CLEAN_TEXT_FIELDS) -> pa.Schema:
    """Items plus, per cleaned column, the cleaned text and its repair statistics."""
    fields = list(ITEMS_SCHEMA)
    for column in columns:
        fields.append(pa.field(f"{column}_clean", pa.string()))
        fields.extend(pa.field(f"{column}_{name}", dtype) for name, dtype in REPAIR_STAT_FIELDS)
    return pa.schema(fields)


CLEAN_ITEMS_SCHEMA = clean_items_schema()

#: Which text of which item was embedded, by content hash (one row per item and text space).
ITEM_TEXT_INDEX_SCHEMA = pa.schema(
    [
        pa.field("item_id", pa.string(), nullable=False),
        pa.field("space", pa.string(), nullable=False),
        pa.field("model_key", pa.string(), nullable=False),
        pa.field("content_hash", pa.string()),  # null: empty text, nothing embedded
    ]
)

#: Every photo of every item, its content hash and what happened when it was read.
ITEM_IMAGES_SCHEMA = pa.schema(
    [
        pa.field("item_id", pa.string(), nullable=False),
        pa.field("photo_index", pa.int16(), nullable=False),
        pa.field("path", pa.string()),
        pa.field("image_hash", pa.string()),  # null when the photo could not be read
        pa.field("status", pa.string(), nullable=False),
    ]
)
