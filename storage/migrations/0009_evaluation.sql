-- The quarterly evaluation of a cell's meetings (bot/rules/evaluation.py): the points the ward's inspector
-- gave each manual criterion. Computed criteria are not stored: they are computed again from the frozen
-- roll calls and records, so they always say how they were obtained.
CREATE TABLE evaluation_scores (
    cell_id     INTEGER NOT NULL REFERENCES units(id),
    quarter     TEXT NOT NULL,              -- 'YYYY-QN'
    criterion   TEXT NOT NULL,              -- the criterion's key in the [evaluation] framework
    points      REAL NOT NULL CHECK (points >= 0),
    scored_by   INTEGER REFERENCES people(id),
    scored_at   TEXT NOT NULL,
    PRIMARY KEY (cell_id, quarter, criterion)
);
CREATE INDEX evaluation_scores_quarter ON evaluation_scores (quarter, cell_id);
