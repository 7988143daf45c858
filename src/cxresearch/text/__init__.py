"""Verbatim coding of open comments in Chinese and English.

A **codeframe** (YAML; the default ships as ``cxresearch/data/codeframe.yaml``) lists themes with
Chinese and English keywords and phrases, polarity words, negators, and the name forms that are
masked in quotes. :func:`code_comments` gives every comment zero or more themes and a polarity;
:func:`theme_frequencies`, :func:`theme_satisfaction`, :func:`example_quotes` and
:func:`coding_agreement` build the tables of a verbatim section on top of it.

How a comment is coded (the per-comment path is kept lean: one ``str.translate``, one ``jieba.lcut``
and dictionary look-ups):

1. lower-case; traditional characters mapped to simplified ones with the codeframe's character
   map; punctuation (ASCII and full-width) mapped to a clause mark; ``n't`` spelled ``not``;
2. segmented with a private :class:`jieba.Tokenizer` (the process-wide ``jieba.dt`` is left alone)
   whose dictionary has every Chinese codeframe term added, without the HMM for unknown words (only
   dictionary words can match). jieba keeps runs of Latin letters and digits together, so English
   words come out as tokens of the same pass and mixed-language comments need no special case;
3. keywords are looked up by token; a keyword that is several tokens (an English phrase, or a
   Chinese term jieba splits in context) is looked up as a run of tokens;
4. polarity words count +1/-1, reversed when a negator precedes them within ``window`` tokens of the
   same clause. The comment's polarity is ``positive``/``negative``/``mixed``/``neutral`` from the
   counts; each theme mention gets the sign of the clauses it occurs in.

Identical comments are coded once per call (a dictionary cache), which matters for templated or
repeated short answers ("好", "no comment"); the segmentation of each clause is memoised on the
coder (clauses such as "服务态度很好" recur across many different comments), and so is the search
for keywords hidden inside jieba's own compound words ("经验丰富" contains "经验").

Why hand-written: jieba does the segmentation; no maintained package does dictionary-based theme
coding with polarity for Chinese and English together, and a lexicon approach keeps the coding
transparent to the client (every theme is traceable to a listed keyword). Comments are data: they
are only ever matched against word lists, never evaluated or interpreted as markup or code.

The package, a module each: ``codeframe`` (loading and validating the YAML codeframe and its
traditional-character map), ``coding`` (the jieba coder, :func:`code_comments`, polarity),
``masking`` (:func:`mask_pii`), ``summaries`` (:func:`theme_frequencies`,
:func:`theme_satisfaction`, :func:`example_quotes`) and ``agreement`` (Cohen's kappa against a
hand-coded sample: :func:`coding_agreement`, :func:`polarity_agreement`).
"""

from __future__ import annotations

from .agreement import coding_agreement, polarity_agreement
from .codeframe import Codeframe, CodeframeError, Theme, default_codeframe, load_codeframe
from .coding import POLARITY_LABELS as POLARITY_LABELS  # public constant, not in __all__
from .coding import CodingResult, code_comments, detect_language
from .masking import mask_pii
from .summaries import example_quotes, theme_frequencies, theme_satisfaction

__all__ = [
    "CodeframeError",
    "Codeframe",
    "Theme",
    "CodingResult",
    "load_codeframe",
    "default_codeframe",
    "code_comments",
    "mask_pii",
    "theme_frequencies",
    "theme_satisfaction",
    "example_quotes",
    "coding_agreement",
    "polarity_agreement",
    "detect_language",
]
