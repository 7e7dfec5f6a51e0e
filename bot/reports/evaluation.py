"""The quarter's evaluation of every cell in scope: computed criteria from the cells' records (one query),
manual ones from the inspector's scores (one more), each classified by bot/rules/evaluation.py."""

from __future__ import annotations

from bot.core.config import Config
from bot.reports import facts
from bot.reports.xlsx import EvaluatedCell
from bot.rules import evaluation as rules
from bot.rules.reports import quarter_months
from bot.rules.text import fold
from storage import evaluations
from storage.db import Database


async def quarter_results(db: Database, config: Config, quarter: str, *, ward_id: int | None = None,
                          cell_ids: set[int] | None = None) -> list[EvaluatedCell]:
    framework = config.evaluation.framework()
    months = quarter_months(quarter)
    rows = await facts.quarter_rows(db, config, quarter, ward_id=ward_id)
    if cell_ids is not None:
        rows = [row for row in rows if row.cell_id in cell_ids]
    scores = await evaluations.scores(db, quarter)
    by_cell: dict[int, list] = {}
    for row in rows:
        by_cell.setdefault(row.cell_id, []).append(row)
    results = []
    for cell_id, records in by_cell.items():
        first = records[0]
        result = rules.evaluate(framework, cell_id, quarter, months, records, scores.get(cell_id, {}))
        results.append(EvaluatedCell(first.ward_name, first.cell_name, result))
    results.sort(key=lambda cell: (fold(cell.ward_name), fold(cell.cell_name)))
    return results
