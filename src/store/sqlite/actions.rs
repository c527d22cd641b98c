//! Actions (executed plans) and the idempotency keys of their executes.
//!
//! An action row holds the whole `Action` as JSON, rewritten on every change,
//! plus the columns that are queried (state, incident, start), and the `Plan`
//! it executes, so an undo can be planned after a restart.

use sqlx::{Row, SqliteConnection};

use super::codec::{enum_text, json_text, time_text};
use crate::model::{Action, Plan, Timestamp};
use crate::store::StoreError;

fn action_not_found(id: &str) -> StoreError {
    StoreError::NotFound {
        what: format!("action {id}"),
    }
}

fn decode_action(text: &str) -> Result<Action, StoreError> {
    serde_json::from_str(text).map_err(|err| StoreError::corrupt("action", err))
}

/// Inserts the action and binds `key` to it, unless `key` is bound already:
/// then nothing is written and the bound action comes back with `false`.
/// Must run inside one write transaction.
pub(super) async fn create(
    conn: &mut SqliteConnection,
    action: &Action,
    plan: &Plan,
    key: &str,
    now: Timestamp,
) -> Result<(Action, bool), StoreError> {
    if let Some(existing) = for_key(conn, key).await? {
        return Ok((existing, false));
    }
    sqlx::query(
        "INSERT INTO actions (id, plan_id, incident_id, state, started_at, action, plan) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&action.id)
    .bind(&action.plan_id)
    .bind(action.incident_id)
    .bind(enum_text(&action.state)?)
    .bind(time_text(action.started_at))
    .bind(json_text(action)?)
    .bind(json_text(plan)?)
    .execute(&mut *conn)
    .await?;
    sqlx::query("INSERT INTO action_keys (key, action_id, created_at) VALUES (?, ?, ?)")
        .bind(key)
        .bind(&action.id)
        .bind(time_text(now))
        .execute(&mut *conn)
        .await?;
    Ok((action.clone(), true))
}

/// Rewrites a recorded action; [`StoreError::NotFound`] if there is none.
pub(super) async fn update(conn: &mut SqliteConnection, action: &Action) -> Result<(), StoreError> {
    let result =
        sqlx::query("UPDATE actions SET state = ?, incident_id = ?, action = ? WHERE id = ?")
            .bind(enum_text(&action.state)?)
            .bind(action.incident_id)
            .bind(json_text(action)?)
            .bind(&action.id)
            .execute(&mut *conn)
            .await?;
    if result.rows_affected() == 0 {
        return Err(action_not_found(&action.id));
    }
    Ok(())
}

pub(super) async fn get(conn: &mut SqliteConnection, id: &str) -> Result<Action, StoreError> {
    let row = sqlx::query("SELECT action FROM actions WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| action_not_found(id))?;
    decode_action(row.try_get("action")?)
}

pub(super) async fn plan(conn: &mut SqliteConnection, id: &str) -> Result<Plan, StoreError> {
    let row = sqlx::query("SELECT plan FROM actions WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| action_not_found(id))?;
    serde_json::from_str(row.try_get("plan")?).map_err(|err| StoreError::corrupt("plan", err))
}

/// Newest first: by start descending, then id descending.
pub(super) async fn list(
    conn: &mut SqliteConnection,
    incident_id: Option<i64>,
) -> Result<Vec<Action>, StoreError> {
    let rows = match incident_id {
        Some(incident_id) => {
            sqlx::query(
                "SELECT action FROM actions WHERE incident_id = ? \
                 ORDER BY started_at DESC, id DESC",
            )
            .bind(incident_id)
            .fetch_all(&mut *conn)
            .await?
        }
        None => {
            sqlx::query("SELECT action FROM actions ORDER BY started_at DESC, id DESC")
                .fetch_all(&mut *conn)
                .await?
        }
    };
    rows.iter()
        .map(|row| decode_action(row.try_get("action")?))
        .collect()
}

pub(super) async fn for_key(
    conn: &mut SqliteConnection,
    key: &str,
) -> Result<Option<Action>, StoreError> {
    let row = sqlx::query(
        "SELECT a.action FROM action_keys k JOIN actions a ON a.id = k.action_id WHERE k.key = ?",
    )
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|row| decode_action(row.try_get("action")?))
        .transpose()
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::super::SqliteStore;
    use crate::model::{ActionState, PlanKind, StepProgress, StepState};
    use crate::store::{Store, StoreError};

    use super::*;

    fn at(minute: u32) -> Timestamp {
        Utc.with_ymd_and_hms(2017, 9, 11, 22, minute, 0)
            .single()
            .expect("valid time")
    }

    fn plan(id: &str) -> Plan {
        Plan {
            id: id.into(),
            kind: PlanKind::RecycleWeb,
            target: None,
            summary: "Restart web-1.".into(),
            steps: Vec::new(),
            placements: Vec::new(),
            unplaceable: Vec::new(),
            warnings: Vec::new(),
            risk: None,
            confirm: None,
            offers: Vec::new(),
            scope: "web".into(),
            topology_version: 7,
            created_at: at(0),
            expires_at: at(2),
        }
    }

    fn action(id: &str, plan_id: &str, incident_id: Option<i64>, minute: u32) -> Action {
        Action {
            id: id.into(),
            plan_id: plan_id.into(),
            kind: PlanKind::RecycleWeb,
            target: None,
            summary: "Restart web-1.".into(),
            state: ActionState::Running,
            steps: vec![StepProgress {
                index: 0,
                description: "restart web-1".into(),
                state: StepState::Pending,
                started_at: None,
                finished_at: None,
                output: None,
                error: None,
            }],
            started_by: "ana".into(),
            started_at: at(minute),
            finished_at: None,
            incident_id,
            follow_up: None,
            undo_of: None,
            automatic: false,
        }
    }

    #[tokio::test]
    async fn a_key_binds_one_action_and_a_retry_gets_it_back() {
        let store = SqliteStore::open_in_memory().await.expect("store");
        let first = action("act-1", "plan-1", None, 1);
        let (stored, created) = store
            .create_action(&first, &plan("plan-1"), "key-1", at(1))
            .await
            .expect("created");
        assert!(created);
        assert_eq!(stored, first);
        let (again, created) = store
            .create_action(
                &action("act-2", "plan-1", None, 1),
                &plan("plan-1"),
                "key-1",
                at(1),
            )
            .await
            .expect("replayed");
        assert!(!created);
        assert_eq!(again.id, "act-1");
        assert_eq!(store.list_actions(None).await.expect("list").len(), 1);
        assert_eq!(
            store
                .action_for_key("key-1")
                .await
                .expect("lookup")
                .map(|a| a.id),
            Some("act-1".to_string())
        );
        assert_eq!(store.action_for_key("key-2").await.expect("lookup"), None);
    }

    #[tokio::test]
    async fn updates_are_read_back_and_the_plan_is_kept() {
        let store = SqliteStore::open_in_memory().await.expect("store");
        let mut a = action("act-1", "plan-1", Some(4), 1);
        store
            .create_action(&a, &plan("plan-1"), "k", at(1))
            .await
            .expect("created");
        a.state = ActionState::Succeeded;
        a.steps[0].state = StepState::Succeeded;
        a.finished_at = Some(at(3));
        store.update_action(&a).await.expect("updated");
        assert_eq!(store.get_action("act-1").await.expect("get"), a);
        assert_eq!(
            store.action_plan("act-1").await.expect("plan"),
            plan("plan-1")
        );
        let missing = store.update_action(&action("nope", "p", None, 1)).await;
        assert!(
            matches!(missing, Err(StoreError::NotFound { .. })),
            "{missing:?}"
        );
        assert!(matches!(
            store.get_action("nope").await,
            Err(StoreError::NotFound { .. })
        ));
    }

    #[tokio::test]
    async fn lists_newest_first_and_by_incident() {
        let store = SqliteStore::open_in_memory().await.expect("store");
        for (id, incident, minute) in [("a", Some(1), 1), ("b", None, 3), ("c", Some(1), 2)] {
            store
                .create_action(&action(id, id, incident, minute), &plan(id), id, at(minute))
                .await
                .expect("created");
        }
        let ids = |list: Vec<Action>| list.into_iter().map(|a| a.id).collect::<Vec<_>>();
        assert_eq!(
            ids(store.list_actions(None).await.expect("all")),
            ["b", "c", "a"]
        );
        assert_eq!(
            ids(store.list_actions(Some(1)).await.expect("one")),
            ["c", "a"]
        );
        assert!(store.list_actions(Some(9)).await.expect("none").is_empty());
    }
}
