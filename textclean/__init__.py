"""Text cleaning for product cards: normalisation, tokenisation and Cyrillic/Latin homoglyph
repair scored by a character KenLM model (plus the n-gram trainer in ``textclean.lmtrain``).

No torch, no Dagster: everything here is plain Python, polars, numba (the compiled repair
kernels, ``textclean.kernels``) and kenlm.
"""

from textclean.arpa import ArpaError, check_arpa_header, load_kenlm
from textclean.frame import CLEAN_SUFFIXES, clean_frame, single_script_word_counts
from textclean.normalize import normalize_column, normalize_text
from textclean.repair import STAT_COLUMNS, Decision, HomoglyphRepairer, RepairConfig
from textclean.tokenize import tokenize, tokenize_column

__all__ = [
    "ArpaError",
    "CLEAN_SUFFIXES",
    "Decision",
    "HomoglyphRepairer",
    "RepairConfig",
    "STAT_COLUMNS",
    "check_arpa_header",
    "clean_frame",
    "load_kenlm",
    "normalize_column",
    "normalize_text",
    "single_script_word_counts",
    "tokenize",
    "tokenize_column",
]
