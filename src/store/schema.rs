//! The project file's schema, versioned with `PRAGMA user_version`. Each migration moves
//! the schema one version up; `open` applies the missing ones in one transaction.

/// Identifies a labelterm project among SQLite files (`PRAGMA application_id`, "LBTM").
pub const APPLICATION_ID: i32 = 0x4C42_544D;

pub const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
    CREATE TABLE project (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        title TEXT NOT NULL,
        label_config TEXT NOT NULL,
        sampling TEXT NOT NULL DEFAULT 'sequential',
        model_version TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        email TEXT UNIQUE,
        created_at TEXT NOT NULL
    );
    CREATE TABLE imports (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        format TEXT NOT NULL,
        sha256 TEXT,
        bytes INTEGER,
        task_count INTEGER NOT NULL DEFAULT 0,
        annotation_count INTEGER NOT NULL DEFAULT 0,
        prediction_count INTEGER NOT NULL DEFAULT 0,
        warnings TEXT NOT NULL DEFAULT '[]',
        imported_at TEXT NOT NULL
    );
    CREATE TABLE tasks (
        id INTEGER PRIMARY KEY,
        inner_id INTEGER NOT NULL,
        data TEXT NOT NULL,
        meta TEXT NOT NULL DEFAULT '{}',
        import_id INTEGER REFERENCES imports(id),
        source_line INTEGER,
        original_id INTEGER,
        allow_skip INTEGER NOT NULL DEFAULT 1,
        total_annotations INTEGER NOT NULL DEFAULT 0,
        cancelled_annotations INTEGER NOT NULL DEFAULT 0,
        total_predictions INTEGER NOT NULL DEFAULT 0,
        is_labeled INTEGER NOT NULL DEFAULT 0,
        prediction_score REAL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE annotations (
        id INTEGER PRIMARY KEY,
        task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        result TEXT NOT NULL,
        completed_by INTEGER REFERENCES users(id),
        was_cancelled INTEGER NOT NULL DEFAULT 0,
        ground_truth INTEGER NOT NULL DEFAULT 0,
        lead_time REAL,
        import_id INTEGER,
        parent_prediction INTEGER,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX annotations_task ON annotations(task_id);
    CREATE TABLE predictions (
        id INTEGER PRIMARY KEY,
        task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        result TEXT NOT NULL,
        score REAL,
        model_version TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX predictions_task ON predictions(task_id);
    CREATE TABLE drafts (
        id INTEGER PRIMARY KEY,
        task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL REFERENCES users(id),
        annotation_id INTEGER REFERENCES annotations(id) ON DELETE SET NULL,
        result TEXT NOT NULL,
        lead_time REAL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (task_id, user_id)
    );
    -- Stable views for auditors who open the file in other SQLite tools.
    CREATE VIEW v_tasks AS
        SELECT t.id, t.inner_id, t.data, t.meta, t.total_annotations, t.cancelled_annotations,
               t.total_predictions, t.is_labeled, t.prediction_score, i.source AS source_file,
               t.source_line, t.original_id, t.created_at, t.updated_at
        FROM tasks t LEFT JOIN imports i ON i.id = t.import_id;
    CREATE VIEW v_results AS
        SELECT a.task_id, a.id AS annotation_id, u.email AS completed_by, a.was_cancelled,
               json_extract(r.value, '$.from_name') AS from_name,
               json_extract(r.value, '$.to_name') AS to_name,
               json_extract(r.value, '$.type') AS type,
               json_extract(r.value, '$.value') AS value
        FROM annotations a LEFT JOIN users u ON u.id = a.completed_by, json_each(a.result) r;
    CREATE VIEW v_predictions AS
        SELECT p.task_id, p.id AS prediction_id, p.model_version, p.score,
               json_extract(r.value, '$.from_name') AS from_name,
               json_extract(r.value, '$.type') AS type,
               json_extract(r.value, '$.value') AS value
        FROM predictions p, json_each(CASE WHEN json_type(p.result) = 'array' THEN p.result ELSE '[]' END) r;
    "#,
    // 2: the directory each import came from, so relative media paths in its tasks
    // (`images/a.png`) resolve against it wherever labelterm runs later.
    r#"
    ALTER TABLE imports ADD COLUMN base_dir TEXT;
    "#,
    // 3: indexes for the annotator: the next task to label by id or by prediction score,
    // a user's annotations and drafts, and the task list's keyset pages sorted by score.
    r#"
    CREATE INDEX tasks_labeled ON tasks(is_labeled, id);
    CREATE INDEX tasks_labeled_score ON tasks(is_labeled, prediction_score, id);
    CREATE INDEX tasks_score ON tasks(prediction_score, id);
    CREATE INDEX annotations_user ON annotations(completed_by, task_id);
    CREATE INDEX drafts_user ON drafts(user_id, updated_at);
    "#,
    // 4: task data and meta move to their own table. Task rows stay small, so scans of
    // the task list, sampling queries and index builds do not wade through task data.
    r#"
    CREATE TABLE task_data (
        task_id INTEGER PRIMARY KEY REFERENCES tasks(id) ON DELETE CASCADE,
        data TEXT NOT NULL,
        meta TEXT NOT NULL DEFAULT '{}'
    );
    INSERT INTO task_data (task_id, data, meta) SELECT id, data, meta FROM tasks;
    DROP VIEW v_tasks;
    ALTER TABLE tasks DROP COLUMN data;
    ALTER TABLE tasks DROP COLUMN meta;
    CREATE VIEW v_tasks AS
        SELECT t.id, t.inner_id, d.data, d.meta, t.total_annotations, t.cancelled_annotations,
               t.total_predictions, t.is_labeled, t.prediction_score, i.source AS source_file,
               t.source_line, t.original_id, t.created_at, t.updated_at
        FROM tasks t JOIN task_data d ON d.task_id = t.id LEFT JOIN imports i ON i.id = t.import_id;
    "#,
    // 5: the task list's score order reads the (is_labeled, prediction_score, id) index too,
    // so the second score index goes: one index fewer to build after a large import.
    r#"
    DROP INDEX IF EXISTS tasks_score;
    "#,
    // 6: whether the annotator starts a task from its predictions (Label Studio's
    // "use predictions to pre-label tasks", on by default there and here).
    r#"
    ALTER TABLE project ADD COLUMN prelabel INTEGER NOT NULL DEFAULT 1;
    "#,
    // 7: many annotators on one project. Label Studio's overlap settings (maximum
    // annotations per task, the share of tasks that get it, what a skip does, ground truth
    // first) and how long a claim lives without being renewed; each task's own overlap;
    // an annotation revision that tells a submit whether it still edits what it read; and
    // one row per running annotator (who, where, which task, until when) whose task is
    // its claim.
    r#"
    ALTER TABLE project ADD COLUMN maximum_annotations INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE project ADD COLUMN overlap_cohort INTEGER NOT NULL DEFAULT 100;
    ALTER TABLE project ADD COLUMN skip_queue TEXT NOT NULL DEFAULT 'requeue-for-others';
    ALTER TABLE project ADD COLUMN show_ground_truth_first INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE project ADD COLUMN lock_ttl INTEGER NOT NULL DEFAULT 120;
    ALTER TABLE tasks ADD COLUMN overlap INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE annotations ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE drafts ADD COLUMN base_revision INTEGER;
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id),
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        process_start INTEGER,
        started_at REAL NOT NULL,
        seen_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        task_id INTEGER REFERENCES tasks(id) ON DELETE SET NULL,
        task_since REAL
    );
    CREATE INDEX sessions_task ON sessions(task_id);
    -- Breadth first: the partly annotated open tasks, most annotations first. Partial,
    -- so it stays as small as the work in progress.
    CREATE INDEX tasks_partly_done ON tasks(total_annotations DESC, id)
        WHERE is_labeled = 0 AND total_annotations > 0;
    CREATE INDEX annotations_updated ON annotations(updated_at);
    "#,
    // 8: review and audit. A reviewer's decision on an annotation (accepted, fixed and
    // accepted, rejected) with a comment, who and when; views of the data table (filters,
    // sort, columns) saved in the project; each task's agreement between its annotators,
    // kept as a figure so the table sorts and filters by it, and marked stale by a trigger
    // whenever the task's annotations change (it is computed from the label config, which
    // SQL cannot read, so the domain refreshes stale figures before they are shown).
    r#"
    CREATE TABLE reviews (
        id INTEGER PRIMARY KEY,
        annotation_id INTEGER NOT NULL REFERENCES annotations(id) ON DELETE CASCADE,
        task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        reviewer INTEGER NOT NULL REFERENCES users(id),
        decision TEXT NOT NULL CHECK (decision IN ('accepted', 'fixed', 'rejected')),
        comment TEXT NOT NULL DEFAULT '',
        previous_result TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX reviews_annotation ON reviews(annotation_id, id);
    CREATE INDEX reviews_task ON reviews(task_id, id);
    CREATE TABLE saved_views (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        spec TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    ALTER TABLE tasks ADD COLUMN agreement REAL;
    ALTER TABLE tasks ADD COLUMN agreement_stale INTEGER NOT NULL DEFAULT 0;
    UPDATE tasks SET agreement_stale = 1 WHERE total_annotations > 1;
    CREATE INDEX tasks_agreement_stale ON tasks(id) WHERE agreement_stale = 1;
    CREATE TRIGGER annotations_agreement_insert AFTER INSERT ON annotations BEGIN
        UPDATE tasks SET agreement_stale = 1 WHERE id = new.task_id AND agreement_stale = 0;
    END;
    CREATE TRIGGER annotations_agreement_update AFTER UPDATE OF result, was_cancelled ON annotations BEGIN
        UPDATE tasks SET agreement_stale = 1 WHERE id = new.task_id AND agreement_stale = 0;
    END;
    CREATE TRIGGER annotations_agreement_delete AFTER DELETE ON annotations BEGIN
        UPDATE tasks SET agreement_stale = 1 WHERE id = old.task_id AND agreement_stale = 0;
    END;
    "#,
    // 9: full-text search over task data. One FTS5 row per task (rowid = task id) holding
    // the strings and numbers of its data (see `store::fts`), no copy of the text
    // (contentless); triggers keep it current on insert, edit and delete.
    concat!(
        "CREATE VIRTUAL TABLE task_fts USING fts5(text, content = '', contentless_delete = 1,
            tokenize = 'unicode61 remove_diacritics 2');
        INSERT INTO task_fts (rowid, text) SELECT task_id, ",
        fts_text!("data"),
        " FROM task_data;
        CREATE TRIGGER task_data_fts_insert AFTER INSERT ON task_data BEGIN
            INSERT INTO task_fts (rowid, text) VALUES (new.task_id, ",
        fts_text!("new.data"),
        ");
        END;
        CREATE TRIGGER task_data_fts_update AFTER UPDATE OF data ON task_data BEGIN
            DELETE FROM task_fts WHERE rowid = old.task_id;
            INSERT INTO task_fts (rowid, text) VALUES (new.task_id, ",
        fts_text!("new.data"),
        ");
        END;
        CREATE TRIGGER task_data_fts_delete AFTER DELETE ON task_data BEGIN
            DELETE FROM task_fts WHERE rowid = old.task_id;
        END;"
    ),
    // 10: a large import leaves its tasks out of the search index (indexing a million
    // tasks takes seconds); this is the lowest task id whose entry may be missing or out of
    // date since, NULL when the index is current. The next search indexes from there first
    // (`Store::ensure_search_index`).
    r#"
    ALTER TABLE project ADD COLUMN search_pending_from INTEGER;
    "#,
    // 11: the link to a Label Studio server project (at most one). The API key is never
    // stored: it comes from the environment or the user's config file each time.
    r#"
    CREATE TABLE server_link (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        url TEXT NOT NULL,
        project_id INTEGER NOT NULL,
        title TEXT NOT NULL,
        media TEXT NOT NULL,
        -- [[server field, local data key], ...] (`--map FIELD=COLUMN`)
        mapping TEXT NOT NULL DEFAULT '[]',
        linked_at TEXT NOT NULL,
        -- Marks this project's tasks on the server (in their meta), so that a push cut
        -- off after the server took a batch finds them instead of sending them again.
        local_key TEXT NOT NULL,
        -- Set while a push sends something the server may take without our hearing.
        push_in_flight INTEGER NOT NULL DEFAULT 0
    );
    -- What the server has of ours: its ids, and for annotations the local revision and
    -- the server's time when both sides last agreed.
    CREATE TABLE server_tasks (
        task_id INTEGER PRIMARY KEY REFERENCES tasks(id) ON DELETE CASCADE,
        server_id INTEGER NOT NULL UNIQUE
    );
    CREATE TABLE server_annotations (
        annotation_id INTEGER PRIMARY KEY REFERENCES annotations(id) ON DELETE CASCADE,
        server_id INTEGER NOT NULL UNIQUE,
        revision INTEGER NOT NULL,
        server_updated_at TEXT
    );
    CREATE TABLE server_predictions (
        prediction_id INTEGER PRIMARY KEY REFERENCES predictions(id) ON DELETE CASCADE,
        server_id INTEGER NOT NULL UNIQUE
    );
    "#,
    // 12: media sent to the server (`link --media file|post`). The server's
    // LOCAL_FILES_DOCUMENT_ROOT for `file`; each task's data as the server had it when both
    // sides last agreed (a server that holds `/data/upload/...` where the project holds a
    // local path has not changed the task); and the files uploaded for `post`, by content,
    // so that none goes twice.
    r#"
    ALTER TABLE server_link ADD COLUMN document_root TEXT;
    ALTER TABLE server_tasks ADD COLUMN data TEXT;
    CREATE TABLE server_uploads (
        sha256 TEXT PRIMARY KEY,
        url TEXT NOT NULL
    );
    "#,
];

/// Indexes whose keys arrive in random order during an import; a large import drops them
/// and they are created again in one pass on first use (`Store::ensure_score_index`).
/// Same definition as migration 3.
pub const SCORE_INDEXES: &[(&str, &str)] = &[(
    "tasks_labeled_score",
    "CREATE INDEX IF NOT EXISTS tasks_labeled_score ON tasks(is_labeled, prediction_score, id)",
)];

/// The trigger that marks a task's agreement stale when an annotation is added (migration
/// 8); a large import drops it inside its transaction, marks its tasks as it inserts them,
/// and creates it again at commit ([`CREATE_AGREEMENT_INSERT_TRIGGER`]).
pub const AGREEMENT_INSERT_TRIGGER: &str = "annotations_agreement_insert";

/// Same definition as migration 8.
pub const CREATE_AGREEMENT_INSERT_TRIGGER: &str =
    "CREATE TRIGGER IF NOT EXISTS annotations_agreement_insert AFTER INSERT ON annotations BEGIN
        UPDATE tasks SET agreement_stale = 1 WHERE id = new.task_id AND agreement_stale = 0;
    END;";

pub fn current_version() -> i64 {
    MIGRATIONS.len() as i64
}
