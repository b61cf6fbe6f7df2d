"""What a person reads in the terminal: results, tables and warnings as text.

Every command of :mod:`screener.cli` parses its options, calls the library and hands
what it got here (``--format json`` prints the same data as JSON instead). The text
keeps the order every face uses: identity first, then severity, with the provenance of
each hit (list, citation, listing date, official URL, list version) and the coverage
statement of the run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import click

from screener.shapes import CheckDict, CoverageEntry, OwnershipDict, RescreenDict, StepDict


def edge_line(st: StepDict, on: str) -> str:
    share = f"{st['share']:g}%" if st["share"] is not None else "share not published"
    bits = [st["kind"], share]
    if st["controlled"]:
        bits.append("controlled")
    if st["as_of"]:
        bits.append(f"as of {st['as_of']}")
    if st["end_date"]:
        bits.append(f"ENDED {st['end_date']}" if st["end_date"] < on else f"ends {st['end_date']}")
    lists = f" [{', '.join(st['owner_lists'])}]" if st["owner_lists"] else ""
    return (
        f"{st['child']} -> {st['owner']}{lists}: {', '.join(bits)}; "
        f"source: {st['source']} ({st['origin']})"
    )


# how a party's relation to the listed entity reads in the ownership view (as check finds it)
PARTY_RELATION_WORDS = {
    "same": "the listed entity itself",
    "unit": "a unit, lab, branch or brand company of {listed}",
    "brand": "a brand of {listed}",
}


def print_ownership(doc: dict[str, Any]) -> None:
    if not doc["matches"]:
        click.echo(f"No listed entity or ownership link found for {doc['query']!r}.")
        return
    for m in doc["matches"]:
        a = m["assessment"]
        e = a["entity"]
        kind = ", ".join(e["lists"]) if e["listed"] else "not listed (ownership graph)"
        click.echo(
            f"{doc['query']!r} -> {e['name']} ({m['source_id']}:{m['entity_id']}, "
            f"score {m['score']:.2f}; {kind})"
        )
        share = (
            f", {a['share']:g}% held by listed parties or parties they own"
            if a["share"] is not None
            else ""
        )
        listed = m.get("listed_entity") or e["name"]
        rel = m.get("relation") or a["relation"]
        if rel in PARTY_RELATION_WORDS and not m["via"]:
            shown = f"{rel} ({PARTY_RELATION_WORDS[rel].format(listed=listed)})"
            own = f"; its own owners on {a['on']}: {a['relation']}{share}" if a["relation"] else ""
            click.echo(f"  relation: {shown}{own}")
        else:
            click.echo(f"  relation on {a['on']}: {rel or 'none'}{share}")
        seen: set[tuple[str, str, str]] = set()
        if m["up"]:
            click.echo("  owners:")
        for c in m["up"]:
            for st in c["steps"]:
                key = (st["child"], st["owner"], st["source"])
                if key not in seen:
                    seen.add(key)
                    click.echo(f"    {edge_line(st, a['on'])}")
            if len(c["steps"]) > 1 and c["effective_share"] is not None:
                click.echo(
                    f"      chain to {c['steps'][-1]['owner']}: "
                    f"{c['effective_share']:g}% along the chain"
                )
        for r in a["rules"]:
            st = r["status"] or {}
            verdict = "applies" if r["applies"] else "may apply (related)"
            click.echo(
                f"  rule: {r['name']} ({r['citation']}): {verdict}; owners on its lists: "
                f"{', '.join(r['owners']) or '-'}"
            )
            click.echo(
                f"    status on {a['on']}: {st.get('status', 'no status recorded')}"
                f"{' since ' + st['from'] if st.get('from') else ''}"
                f"{', ' + st['citation'] if st.get('citation') else ''}"
                f"{' (checked ' + st['checked_on'] + ')' if st.get('checked_on') else ''}; "
                f"source: {st.get('source') or 'none found'}"
            )
            if st.get("note"):
                click.echo(f"    {st['note']}")
        for note in a["notes"]:
            click.echo(f"  note: {note}")
        if m["down"]:
            click.echo("  owns:")
        seen = set()
        for c in m["down"]:
            st = c["steps"][-1]
            key = (st["child"], st["owner"], st["source"])
            if key not in seen:
                seen.add(key)
                click.echo(f"    {edge_line(st, a['on'])}")
    click.echo(
        "An ownership link is a lead, not a determination: confirm shares and control "
        "at the source."
    )


def warn(notes: list[str]) -> None:
    """What a result does not cover (stale or missing lists, unreadable countries), after
    the result itself: a failed run prints its one error line and nothing else."""
    for n in notes:
        click.echo(f"screener: warning: {n}", err=True)


def print_rescreen(r: RescreenDict) -> None:
    prev = r.get("previous")
    since = f"since {prev['screened_at']}" if prev else "(first screening: every hit is new)"
    click.echo(
        f"portfolio {r['portfolio']}: {r['parties']} parties; {r['changed_parties']} "
        f"changed {since}, {r['needs_review']} to review (run {r['run_id']})"
    )
    for x in r.get("lists_changed") or ():
        click.echo(
            f"  list {x['source_id']}: version {x['from_version'] or '(none)'} -> "
            f"{x['to_version'] or '(none)'}"
        )
    for c in r.get("changes") or ():
        where = f" ({c['country'].upper()})" if c["country"] else ""
        shown = c.get("decision") and c["status"] not in ("clear", "review-again")
        decided = f"; {c['decision']}" if shown else ""
        click.echo(
            f"  row {c['row']}: {c['party']}{where}: {c['status_before'] or 'not screened'}"
            f" -> {c['status']}{decided}"
        )
        for ch in c["changes"]:
            flag = "  [to review]" if ch["needs_review"] else ""
            click.echo(f"    {ch['kind']}: {ch['text']}{flag}")


def print_coverage(items: Sequence[CoverageEntry]) -> None:
    """Which lists were checked in full, which only as the curated subset, which not."""
    full = [x for x in items if x["status"] == "full"]
    subset = [x for x in items if x["status"] == "subset"]
    absent = [x for x in items if x["status"] == "not loaded"]
    if full:
        click.echo(
            "checked in full: "
            + "; ".join(
                f"{x['list']} ({x['source_id']}, "
                + (
                    f"data of {x['data_date']}"
                    if x.get("data_date_basis") not in (None, "loaded")
                    else "data date unknown"
                )
                + f", {x['rows']} rows)"
                for x in full
            )
        )
    if subset:
        click.echo(
            "curated subset only (a party not among these entries was not checked): "
            + "; ".join(
                f"{x['list']} ({x['entries']} {'entry' if x['entries'] == 1 else 'entries'})"
                for x in subset
            )
        )
    if absent:
        click.echo("not loaded: " + ", ".join(sorted({x["list"] for x in absent})))


def print_check(result: CheckDict) -> None:
    hits = result["hits"]
    if not hits:
        click.echo(f"No hit at or above {result['threshold']:.2f} for {result['query']!r}.")
    for h in hits:
        label = {"suppressed": "SUPPRESSED", "review-again": "REVIEW AGAIN"}.get(
            h.get("status") or "hit", "HIT"
        )
        click.echo(f"{label} {h['score']:.2f}  {h['name']}")
        click.echo(f"  matched name : {h['matched_name']}")
        click.echo(
            f"  source       : {h['source_name']} ({h['source_id']}), entry {h['entity_id']}"
        )
        party = h.get("party")
        records = party.get("records") or [] if isinstance(party, dict) else []
        if isinstance(party, dict) and len(records) > 1:
            click.echo(
                f"  party        : {party['id']}, {len(records)} records: "
                + "; ".join(
                    f"{r['source_id']}:{r['entity_id']} v{r['version_id']}" for r in records
                )
            )
        for ls in h["listings"] or [
            {
                "list": h["list"],
                "citation": h["citation"],
                "listed_on": h["listed_on"],
                "source_url": h["source_url"],
                "license_requirement": h["license_requirement"],
            }
        ]:
            bits = [
                ls.get("list"),
                ls.get("citation"),
                f"listed {ls['listed_on']}" if ls.get("listed_on") else None,
                f"ENDED {ls['end_date']}" if ls.get("end_date") else None,
                ls.get("program"),  # e.g. the 1260H editions: "editions 2025-01-07, 2026-06-08"
                # a party's listing names its record when the party has several
                f"from {ls['source_id']}:{ls['entity_id']}"
                if len(records) > 1 and ls.get("source_id")
                else None,
            ]
            click.echo(f"  listing      : {' | '.join(b for b in bits if b)}")
            what = ls.get("license_requirement") or ls.get("effect")
            if what:
                kind = ls.get("effect_kind") if not ls.get("license_requirement") else None
                click.echo(f"    meaning    : {kind + ': ' if kind else ''}{what}")
            if ls.get("source_url"):
                click.echo(f"    official   : {ls['source_url']}")
        if h.get("relation") and h["relation"] != "same":
            click.echo(f"  relation     : {h['relation']}{RELATION_WORDS.get(h['relation'], '')}")
        if h.get("matched_part"):
            click.echo(f"  matched part : {h['matched_part']}")
        if h.get("parent"):
            click.echo(f"  parent       : {h['parent']}")
        if h.get("remarks"):
            click.echo(f"  remarks      : {h['remarks']}")
        print_hit_owners(h.get("ownership"))
        click.echo(f"  why          : {h['explanation']}")
        d = h.get("decision")
        if d:
            click.echo(
                f"  decision     : {d['kind']} #{d['id']} by {d['reviewer']} on "
                f"{str(d['decided_at'])[:10]}: {d['reason']}"
            )
            for change in d.get("changes") or ():
                click.echo(f"    changed    : {change}")
    click.echo(
        "lists: "
        + ", ".join(
            f"{x['source_id']} v{x['version_id']} sha256 {x['sha256'][:12]}"
            for x in result["lists"]
        )
        + f"; run {result['run_id']}"
    )
    print_coverage(result.get("coverage") or [])
    if hits:
        click.echo(
            "A potential match is not a determination: confirm each hit against the "
            "official list at its source URL."
        )


RELATION_WORDS = {
    "unit": " (a unit, branch, regional or brand company of the listed entity)",
    "owned-by": " (listed parties own or control it)",
    "brand": " (a brand or former name of the listed entity)",
    "related": " (listed parties own part of it: a red flag)",
}


def print_hit_owners(o: OwnershipDict | None) -> None:
    """The listed owners of a hit, each link of the chain with its source, and the rules."""
    if not o:
        return
    share = f"{o['share']:g}%" if o.get("share") is not None else "share not published"
    owners = ", ".join(x["name"] for x in o.get("owners") or [])
    click.echo(f"  owners       : {o.get('relation')} {owners} ({share})")
    shown = set()
    for chain in o.get("chains") or []:
        for s in chain["steps"]:
            if (s["child"], s["owner"]) in shown:
                continue  # a link shared by several chains
            shown.add((s["child"], s["owner"]))
            bits = [
                s["kind"],
                f"{s['share']:g}%" if s.get("share") is not None else None,
                "controlled" if s.get("controlled") else None,
                f"as of {s['as_of']}" if s.get("as_of") else None,
            ]
            click.echo(
                f"    link       : {s['child']} -> {s['owner']} ({', '.join(b for b in bits if b)})"
            )
            if s.get("source"):
                click.echo(f"      source   : {s['source']}")
    for r in o.get("rules") or []:
        st: Mapping[str, Any] = r.get("status") or {}
        click.echo(
            f"    rule       : {r['name']} ({r.get('citation') or '-'}): "
            f"{'applies' if r.get('applies') else 'related'}; status {st.get('status')}"
            f"{' since ' + st['from'] if st.get('from') else ''}"
        )
        if st.get("note"):
            click.echo(f"      status   : {st['note']}")
    for n in o.get("notes") or []:
        click.echo(f"    note       : {n}")


def table(rows: list[dict[str, Any]], cols: list[tuple[str, str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(show_lines=False)
    for _, title in cols:
        t.add_column(title)
    for r in rows:
        t.add_row(*[cell(k, r.get(k)) for k, _ in cols])
    Console(width=160).print(t)


def cell(key: str, v: Any) -> str:
    if v is None:
        return ""
    if key == "sha256":
        return str(v)[:12]
    return str(v)
