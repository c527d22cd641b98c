//! The incident record tells the truth (issue 14): who edited an entry,
//! when an offline note was written, and an incident declared after the
//! fact that still holds what happened since its start.

use std::sync::Mutex;
use std::time::Duration;

use chrono::TimeDelta;

use crate::support::client::client_for;
use crate::support::new_incident::incident;
use crate::support::new_note::note;
use crate::support::raw::Api;
use crate::support::tokens::RESPONDER;
use crate::support::wait::eventually;
use warroom::client::journal::{self, Journal, JournalWrite, Outcome, WriteOp};
use warroom::client::{Client, ClientError};
use warroom::model::{
    Action, ActionState, EntryKind, EntryPatch, ExecuteRequest, FaultKind, IncidentPatch, NewEntry,
    NewIncident, PlanKind, PlanOptions, PlanRequest, SimFault, Source, StepState, TimelineEntry,
};

/// One responder edits another's note, the author edits it back, a third
/// deletes it: each answer and the timeline name the one who made the change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edited_by_is_set_on_patch_and_delete() {
    let api = Api::sim(1.0).await;
    let author = api.client(RESPONDER);
    let commander = api.commander();
    let id = author
        .create_incident(&incident("who edited"))
        .await
        .unwrap()
        .id;
    let entry = author
        .create_entry(id, &note("first take"), None)
        .await
        .unwrap()
        .value;
    assert_eq!(entry.author, "responder");
    assert_eq!(entry.edited_by, None, "a new entry was never edited");

    let patch = |body: &str| EntryPatch {
        body: Some(body.into()),
        ..Default::default()
    };
    let by_commander = commander
        .update_entry(id, entry.id, entry.version, &patch("commander's take"))
        .await
        .unwrap();
    assert_eq!(by_commander.edited_by.as_deref(), Some("commander"));
    assert_eq!(by_commander.author, "responder", "the author stays");
    let listed = author.timeline(id).await.unwrap();
    let shown = listed.entries.iter().find(|e| e.id == entry.id).unwrap();
    assert_eq!(shown.edited_by.as_deref(), Some("commander"));

    // The author, still holding version 1, conflicts: the current entry in
    // the 409 says the commander changed it, not the author.
    let err = author
        .update_entry(id, entry.id, entry.version, &patch("author's take"))
        .await
        .unwrap_err();
    let ClientError::Conflict { current, .. } = err else {
        panic!("expected a conflict, got {err:?}");
    };
    let current: TimelineEntry = serde_json::from_value(current).unwrap();
    assert_eq!(current.edited_by.as_deref(), Some("commander"));

    let by_author = author
        .update_entry(id, entry.id, current.version, &patch("author's take"))
        .await
        .unwrap();
    assert_eq!(by_author.edited_by.as_deref(), Some("responder"));

    let deleted = commander
        .delete_entry(id, entry.id, by_author.version)
        .await
        .unwrap();
    assert!(deleted.deleted_at.is_some());
    assert_eq!(deleted.edited_by.as_deref(), Some("commander"));
    api.stop().await;
}

/// A note written at T while the API is down and delivered a minute later
/// keeps T as the time it occurred; the server records when it arrived.
/// T is back-dated by 60 s rather than slept for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_note_keeps_the_time_it_was_written() {
    let api = Api::sim(1.0).await;
    let client = api.responder();
    let incident = client
        .create_incident(&incident("offline notes"))
        .await
        .unwrap();
    let server_now = incident.created_at;
    let written = server_now - TimeDelta::seconds(60);

    // The console's first try fails: nothing listens on this port.
    let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down_url = format!("http://{}", gone.local_addr().unwrap());
    drop(gone);
    let down = client_for(&down_url, Some(RESPONDER));
    let dir = tempfile::tempdir().unwrap();
    let journal = Mutex::new(Journal::open(&dir.path().join("j.jsonl")).unwrap());
    let write = |id: &str, entry| JournalWrite {
        id: id.into(),
        incident_id: incident.id,
        made_at: written,
        op: WriteOp::CreateEntry { entry },
    };
    let plain = write("offline-1", note("written while the API was down"));
    let back_dated_to = written - TimeDelta::minutes(10);
    let back_dated = write(
        "offline-2",
        NewEntry {
            occurred_at: Some(back_dated_to),
            ..note("back-dated while the API was down")
        },
    );
    for w in [&plain, &back_dated] {
        journal.lock().unwrap().append(w.clone()).unwrap();
        let sent = journal::send(&down, w).await;
        assert!(matches!(&sent, Err(e) if e.is_unreachable()), "{sent:?}");
    }

    // Delivered now, a minute after it was written.
    let outcomes = match journal::replay(&client, &journal).await {
        Ok(outcomes) => outcomes,
        Err(stop) => panic!("the API is up: {stop:?}"),
    };
    let sent: Vec<TimelineEntry> = outcomes
        .into_iter()
        .map(|o| match o {
            Outcome::Sent(entry) => entry,
            other => panic!("expected the entry, got {other:?}"),
        })
        .collect();
    let [plain_entry, back_dated_entry] = sent.as_slice() else {
        panic!("two entries expected, got {sent:?}");
    };
    let off = (plain_entry.occurred_at - written).num_milliseconds().abs();
    assert!(
        off <= 1000,
        "occurred_at {} is not the time it was written {written}",
        plain_entry.occurred_at
    );
    let delay = (plain_entry.recorded_at - written).num_milliseconds();
    assert!(
        (59_000..=70_000).contains(&delay),
        "recorded_at {} should be when the API got it, about 60 s after {written}",
        plain_entry.recorded_at
    );
    assert_eq!(back_dated_entry.occurred_at, back_dated_to);

    // A retry of the same write (its answer lost) is still the same request.
    let again = journal::send(&client, &plain).await.unwrap();
    let Outcome::Sent(again) = again else {
        panic!("{again:?}")
    };
    assert_eq!(again.id, plain_entry.id);
    api.stop().await;
}

const WAIT: Duration = Duration::from_secs(30);

/// Plans and executes `kind` on `target` as the console does (a new plan
/// after a 409 or 423), and waits for the action to end.
async fn run_plan(client: &Client, kind: PlanKind, target: &str) -> Action {
    for attempt in 0..50 {
        let plan = client
            .create_plan(&PlanRequest {
                kind,
                target: Some(target.into()),
                options: PlanOptions::default(),
            })
            .await
            .unwrap();
        let key = format!("run-{attempt}-{}", plan.id);
        match client
            .execute_plan(&plan, &key, &ExecuteRequest::default())
            .await
        {
            Ok(written) => {
                let id = written.value.id;
                return eventually(WAIT, &format!("action {id} to end"), || async {
                    let action = client.action(&id).await.ok()?;
                    action.state.is_finished().then_some(action)
                })
                .await;
            }
            Err(e) if matches!(e.status(), Some(409 | 423)) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("execute {kind:?} {target}: {e}"),
        }
    }
    panic!("{kind:?} {target}: the topology never held still");
}

fn entries_of(timeline: &[TimelineEntry], kind: EntryKind, needle: &str) -> usize {
    timeline
        .iter()
        .filter(|e| e.kind == kind && e.body.contains(needle))
        .count()
}

/// A server fails and is evacuated before anyone declares: an incident
/// declared afterwards but starting when the alert opened (created so, or
/// moved back later) holds the detection and the evacuation in its
/// timeline and its postmortem; one starting at the declaration does not,
/// and shows its time to detect as negative rather than 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_started_in_the_past_holds_the_detections_and_actions_since_then() {
    let api = Api::sim(120.0).await;
    let commander = api.commander();
    let responder = api.responder();
    commander
        .inject_fault(&SimFault {
            kind: FaultKind::ServerDown,
            target: "app-04".into(),
        })
        .await
        .unwrap();
    let alert = eventually(WAIT, "alert server_down:app-04", || async {
        let alerts = responder.alerts().await.ok()?.alerts;
        alerts.into_iter().find(|a| a.id == "server_down:app-04")
    })
    .await;
    let action = run_plan(&commander, PlanKind::EvacuateServer, "app-04").await;
    assert_eq!(action.state, ActionState::Succeeded, "{action:?}");
    assert_eq!(action.incident_id, None, "no incident was open");
    let action_entries =
        |t: &[TimelineEntry]| entries_of(t, EntryKind::Action, "evacuate_server app-04");

    // Declared three sim minutes after the alert: the evacuation came
    // before its start.
    eventually(WAIT, "three sim minutes after the alert", || async {
        let clock = responder.sim_status().await.ok()?.clock;
        (clock - alert.opened_at >= TimeDelta::minutes(3)).then_some(())
    })
    .await;
    let late = responder
        .create_incident(&incident("declared at the time"))
        .await
        .unwrap();
    let timeline = responder.timeline(late.id).await.unwrap().entries;
    assert_eq!(action_entries(&timeline), 0, "{timeline:#?}");
    assert_eq!(entries_of(&timeline, EntryKind::Detection, "app-04"), 1);
    let pm: serde_json::Value =
        serde_json::from_str(&responder.postmortem(late.id, "json", None).await.unwrap()).unwrap();
    let detect = &pm["metrics"]["rows"][0];
    assert_eq!(detect["key"], "time_to_detect");
    let before = (late.started_at - alert.opened_at).num_seconds();
    assert!(before >= 180, "{before}");
    assert_eq!(
        detect["minutes"].as_i64(),
        Some(-((before + 30) / 60)),
        "a detection before the start is negative, never 0: {detect}"
    );
    assert_eq!(detect["before_start"], true);

    // Moved back to the alert: the evacuation joins, once however often.
    let patch = IncidentPatch {
        started_at: Some(alert.opened_at),
        ..Default::default()
    };
    let moved = responder
        .update_incident(late.id, late.version, &patch)
        .await
        .unwrap();
    let timeline = responder.timeline(late.id).await.unwrap().entries;
    assert_eq!(
        action_entries(&timeline),
        2,
        "started and result: {timeline:#?}"
    );
    let result = timeline
        .iter()
        .find(|e| e.kind == EntryKind::Action && e.body.contains("succeeded"))
        .expect("the result entry");
    assert_eq!(Some(result.occurred_at), action.finished_at);
    assert_eq!(result.source, Source::Action);
    let again = IncidentPatch {
        started_at: Some(alert.opened_at - TimeDelta::seconds(1)),
        ..Default::default()
    };
    responder
        .update_incident(late.id, moved.version, &again)
        .await
        .unwrap();
    let timeline = responder.timeline(late.id).await.unwrap().entries;
    assert_eq!(action_entries(&timeline), 2, "no duplicates: {timeline:#?}");
    assert_eq!(
        entries_of(&timeline, EntryKind::Detection, "app-04"),
        1,
        "{timeline:#?}"
    );

    // Created back-dated: the same from the start.
    let back_dated = responder
        .create_incident(&NewIncident {
            started_at: Some(alert.opened_at),
            ..incident("declared after the evacuation")
        })
        .await
        .unwrap();
    let timeline = responder.timeline(back_dated.id).await.unwrap().entries;
    assert_eq!(action_entries(&timeline), 2, "{timeline:#?}");
    assert_eq!(entries_of(&timeline, EntryKind::Detection, "app-04"), 1);
    let pm: serde_json::Value = serde_json::from_str(
        &responder
            .postmortem(back_dated.id, "json", None)
            .await
            .unwrap(),
    )
    .unwrap();
    let what_happened: Vec<&str> = pm["what_happened"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["text"].as_str())
        .collect();
    assert!(
        what_happened
            .iter()
            .any(|t| t.starts_with("evacuate_server app-04: succeeded")),
        "{what_happened:#?}"
    );
    assert!(
        what_happened
            .iter()
            .any(|t| t.contains("app-04") && !t.starts_with("evacuate"))
    );
    let detect = &pm["metrics"]["rows"][0];
    assert_eq!(detect["minutes"].as_i64(), Some(0), "{detect}");
    assert_eq!(detect["before_start"], false);
    assert!(
        pm["impact"]["sites_affected"].as_u64().unwrap() > 0,
        "the sites app-04 carried were down: {}",
        pm["impact"]
    );
    api.stop().await;
}

/// Declared while an evacuation runs (or just as it ends): the incident
/// gets the action's start (added at the declaration, or written by the
/// action if it had not started writing yet) and its result (written when
/// it ends, or added at the declaration), each exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_declared_while_an_action_runs_gets_its_start_and_its_result() {
    let api = Api::sim(5.0).await;
    let commander = api.commander();
    commander
        .inject_fault(&SimFault {
            kind: FaultKind::ServerDown,
            target: "app-04".into(),
        })
        .await
        .unwrap();
    eventually(WAIT, "app-04 down", || async {
        let alerts = commander.alerts().await.ok()?.alerts;
        alerts
            .iter()
            .any(|a| a.id == "server_down:app-04")
            .then_some(())
    })
    .await;
    // Executed without waiting: at 5x, 17 moves take seconds of real time.
    let action = loop {
        let plan = commander
            .create_plan(&PlanRequest {
                kind: PlanKind::EvacuateServer,
                target: Some("app-04".into()),
                options: PlanOptions::default(),
            })
            .await
            .unwrap();
        match commander
            .execute_plan(&plan, &plan.id, &ExecuteRequest::default())
            .await
        {
            Ok(written) => break written.value,
            Err(e) if matches!(e.status(), Some(409 | 423)) => continue,
            Err(e) => panic!("{e}"),
        }
    };
    // Once a step ran, the action has told its start (to no incident).
    eventually(WAIT, "the evacuation's first step", || async {
        let action = commander.action(&action.id).await.ok()?;
        (action.state.is_finished() || action.steps[0].state != StepState::Pending).then_some(())
    })
    .await;
    let incident = commander
        .create_incident(&NewIncident {
            started_at: Some(action.started_at),
            ..incident("declared mid-evacuation")
        })
        .await
        .unwrap();
    let at_declaration = commander.action(&action.id).await.unwrap().state;
    eprintln!("the evacuation was {at_declaration:?} once declared");
    let done = eventually(WAIT, "the evacuation to end", || async {
        let action = commander.action(&action.id).await.ok()?;
        action.state.is_finished().then_some(action)
    })
    .await;
    assert_eq!(done.state, ActionState::Succeeded);
    let timeline = eventually(WAIT, "the result in the timeline", || async {
        let entries = commander.timeline(incident.id).await.ok()?.entries;
        (entries_of(
            &entries,
            EntryKind::Action,
            "evacuate_server app-04: succeeded",
        ) == 1)
            .then_some(entries)
    })
    .await;
    assert_eq!(
        entries_of(
            &timeline,
            EntryKind::Action,
            "evacuate_server app-04: started by"
        ),
        1,
        "{timeline:#?}"
    );
    api.stop().await;
}

/// Issue 14 point 8: each site's downtime within an incident comes from the
/// store's health history (what the console's sites pane counts, also for
/// spells that ended before it connected).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incidents_site_downtime_comes_from_the_health_history() {
    use warroom::model::{FaultKind, HealthState, SimFault};
    let api = crate::support::server::Api::sim(60.0).await;
    let client = api.commander();
    let started = chrono::Utc::now() - chrono::TimeDelta::minutes(1);
    let incident = client
        .create_incident(&warroom::model::NewIncident {
            title: "app-03 down".into(),
            severity: warroom::model::Severity::Sev2,
            status: warroom::model::IncidentStatus::Investigating,
            impact: warroom::model::Impact::Minor,
            components: Vec::new(),
            started_at: Some(started),
        })
        .await
        .expect("incident")
        .id;
    let fault = |kind| SimFault {
        kind,
        target: "app-03".into(),
    };
    client
        .inject_fault(&fault(FaultKind::ServerDown))
        .await
        .expect("fault");
    let wait = std::time::Duration::from_secs(20);
    let down_sites = crate::support::wait::eventually(wait, "app-03's sites down", || async {
        let t = client.topology().await.ok()?;
        let down: Vec<String> = t
            .sites
            .iter()
            .filter(|s| s.server == "app-03" && s.health.state == HealthState::Down)
            .map(|s| s.id.clone())
            .collect();
        (!down.is_empty()).then_some(down)
    })
    .await;
    client
        .inject_fault(&fault(FaultKind::Recover))
        .await
        .expect("recover");
    crate::support::wait::eventually(wait, "app-03's sites back", || async {
        let t = client.topology().await.ok()?;
        t.sites
            .iter()
            .filter(|s| down_sites.contains(&s.id))
            .all(|s| s.health.state == HealthState::Up)
            .then_some(())
    })
    .await;
    let downtime = client.incident_downtime(incident).await.expect("downtime");
    assert_eq!(downtime.incident_id, incident);
    for site in &down_sites {
        let row = downtime
            .sites
            .iter()
            .find(|s| &s.site == site)
            .unwrap_or_else(|| panic!("{site} in {downtime:#?}"));
        assert!(row.seconds > 0, "{row:?}");
        let spell = row.spells.last().expect("a spell");
        assert!(
            spell.from >= downtime.from && spell.to < downtime.until,
            "ended within the incident: {row:?}"
        );
        assert_eq!(
            row.seconds,
            row.spells
                .iter()
                .map(|s| (s.to - s.from).num_seconds())
                .sum::<i64>()
        );
    }
    assert!(
        downtime.sites.iter().all(|s| down_sites.contains(&s.site)),
        "only the sites that were down: {downtime:#?}"
    );
    let missing = client.incident_downtime(incident + 1000).await;
    assert!(missing.is_err(), "an unknown incident is a 404");
    api.stop().await;
}
