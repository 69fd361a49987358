"""Every piece of shipped evidence traces back to ../shared/research/lab_facts.yaml, the project's
sourced fact sheet: its URL is a fact's source or is named inside one, its date is a date that fact states,
its quote is verbatim, no URL rests on low-confidence facts alone, and medium-confidence sources are marked
"secondary". Skipped where the fact sheet is not beside the repository (a plain clone of parity).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[1]
FACTS = ROOT.parent / "shared" / "research" / "lab_facts.yaml"
LABS = {
    "anthropic": "Anthropic",
    "openai": "OpenAI",
    "google-deepmind": "Google DeepMind",
    "meta": "Meta",
    "xai": "xAI",
    "microsoft": "Microsoft",
    "amazon": "Amazon",
    "mistral-ai": "Mistral AI",
    "deepseek": "DeepSeek",
    "zhipu-ai": "Zhipu AI (Z.ai)",
    "alibaba": "Alibaba (Qwen)",
}
URL = re.compile(r"https?://[^\s'\")]+")


def text(fact: dict) -> str:
    return " ".join(str(fact.get(k, "")) for k in ("source_date", "value", "quote_or_note"))


def stated(day: dt.date, fact: dict) -> bool:
    """The fact states this day: as YYYY-MM-DD, '18 December 2023' or 'December 18, 2023'."""
    month = day.strftime("%B")
    forms = (day.isoformat(), f"{day.day} {month} {day.year}", f"{month} {day.day}, {day.year}")
    return any(form in text(fact) for form in forms)


def _problems() -> tuple[int, list[str]]:
    facts = yaml.safe_load(FACTS.read_text(encoding="utf-8"))
    every_url = set()
    for f in facts:
        every_url.add(f["source_url"])
        every_url.update(u.rstrip(".,;") for u in URL.findall(str(f["quote_or_note"])))

    def tied(url: str) -> list[dict]:
        return [f for f in facts if f["source_url"] == url or url in str(f["quote_or_note"])]

    problems: list[str] = []
    checked = 0
    for path in sorted((ROOT / "lab_profiles").glob("*.yaml")):
        profile = yaml.safe_load(path.read_text(encoding="utf-8"))
        lab_name = LABS.get(profile["id"], "")
        for name, practice in profile.get("practices", {}).items():
            where = f"{path.name}: {name}"
            evidence = practice.get("evidence") or []
            value = practice.get("value")
            if value not in (None, "unknown") and not evidence:
                problems.append(f"{where}: value {value!r} without evidence")
            value_dates_ok = not isinstance(value, dt.date)
            for ev in evidence:
                checked += 1
                url, date = ev["url"], ev["date"]
                day = date.isoformat() if isinstance(date, dt.date) else str(date)
                if not isinstance(date, dt.date) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
                    problems.append(f"{where}: date {day!r} is not a full YYYY-MM-DD")
                    continue
                facts_for_url = tied(url)
                if not facts_for_url:
                    problems.append(f"{where}: URL not in lab_facts.yaml: {url}")
                    continue
                if all(f["confidence"] == "low" for f in facts_for_url):
                    problems.append(f"{where}: URL supported only by low-confidence facts: {url}")
                when = dt.date.fromisoformat(day)
                if not any(stated(when, f) for f in facts_for_url if f["confidence"] != "low"):
                    problems.append(f"{where}: date {day} not stated by any fact tied to {url}")
                quote = ev.get("quote")
                if quote and not any(
                    quote in str(f["quote_or_note"]) or quote in str(f["value"]) for f in facts_for_url
                ):
                    problems.append(f"{where}: quote not verbatim in lab_facts.yaml: {quote!r}")
                for noted in URL.findall(str(ev.get("note") or "")):
                    noted = noted.rstrip(".,;")
                    if noted not in every_url:
                        problems.append(f"{where}: URL in note not in lab_facts.yaml: {noted}")
                own = [f for f in facts_for_url if f["lab"] == lab_name and stated(when, f)]
                medium_only = bool(own) and all(f["confidence"] == "medium" for f in own)
                if medium_only and "secondary" not in str(ev.get("note") or ""):
                    problems.append(f"{where}: medium-confidence source without 'secondary' in the note")
                if isinstance(value, dt.date) and any(stated(value, f) for f in facts_for_url):
                    value_dates_ok = True
            if not value_dates_ok:
                problems.append(f"{where}: date value {value} not stated by the facts of its evidence")
    return checked, problems


@pytest.mark.skipif(
    not FACTS.exists(), reason="../shared/research/lab_facts.yaml is not beside the repository"
)
def test_every_shipped_source_is_in_the_fact_sheet() -> None:
    checked, problems = _problems()
    assert checked > 0
    assert problems == []
