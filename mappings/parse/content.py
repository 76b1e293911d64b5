"""Is there clinical content at all? Refusals and requests for clarification are not monographs."""

from __future__ import annotations

import re

from ..model import Monograph
from .text import sentences

_REFUSAL = re.compile(
    r"\b(?:I cannot provide|I can't provide|I am unable to|I'm unable to|please provide|please specify|"
    r"I need the (?:full |specific )?name|not a (?:complete|single|standard|real)|is not a medicine|"
    r"isn't a (?:single )?medicine|not (?:a )?(?:standard|commercially available|approved)|"
    r"would be (?:misleading|inaccurate)|no (?:single|established) generic)\b",
    re.I,
)
_DISCLAIMER = re.compile(
    r"(?:does not|doesn't|do not|should not be (?:considered|interpreted as)|is not intended (?:as|to be))\s+"
    r"(?:constitute\s+)?(?:a\s+substitute|medical advice|professional (?:medical )?advice)|"
    r"not (?:intended as |meant to be |be )?(?:a )?substitute for|"
    r"for (?:general|informational|educational) (?:knowledge|information|purposes)|"
    r"AI-generated|crowd-sourced",
    re.I,
)


def looks_like_disclaimer(text: str) -> bool:
    return bool(_DISCLAIMER.search(text))


def has_clinical_fields(mono: Monograph) -> bool:
    return bool(
        mono.indications
        or mono.dosage_regimens
        or mono.side_effects
        or mono.mechanism
        or mono.contraindications
        or mono.warnings
        or mono.usage_text
        or [i for i in mono.interactions if i.kind != "alcohol"]
    )


def no_content_reason(mono: Monograph, preamble: str) -> str:
    """A clear one-line diagnostic, quoting the refusal when the text gives one."""
    quote = next((s for s in sentences(preamble) if _REFUSAL.search(s)), None)
    base = "no clinical content: the file has no Usage, Dosage, Side Effects, How it Works or Precautions section"
    if quote:
        return f'{base}; the text declines or asks for clarification: "{quote[:200]}"'
    return base
