use chrono::TimeDelta;
use chrono_tz::Tz;

use super::*;
use crate::cli::tail::fixtures::{action, alert, entry, incident, la, t};
use crate::model::{
    AffectedComponent, ComponentStatus, EntryKind, FollowUp, Marker, PlanKind, PlanRequest,
    Severity, UpdateStatus, Visibility,
};

/// Every line is plain: no control character at all (the caller adds '\n').
fn assert_plain(lines: &[String]) {
    for line in lines {
        assert!(
            !line.chars().any(|c| c.is_control()),
            "control character in {line:?}"
        );
    }
}

#[test]
fn times_are_on_the_given_zone() {
    // 22:15 UTC is 15:15 PDT.
    assert_eq!(hms(t(0), Tz::UTC), "22:15:00");
    assert_eq!(hms(t(5), la()), "15:15:05");
}

#[test]
fn a_new_alert_says_severity_kind_target_and_message() {
    let line = alert_line(&alert("app-04", 0), t(3), Tz::UTC);
    assert_eq!(
        line,
        "22:15:03 ALERT critical server_down app-04: app server app-04 behind sw-2 is down; 17 sites run on it"
    );
}

#[test]
fn a_cleared_alert_says_how_long_it_was_open() {
    let mut cleared = alert("app-04", 0);
    cleared.resolved_at = Some(t(15 * 60 + 20));
    let line = alert_cleared_line(&cleared, t(15 * 60 + 21), la());
    assert!(
        line.starts_with("15:30:21 CLEARED server_down app-04 after 15m: app server app-04"),
        "{line}"
    );
}

#[test]
fn a_changed_alert_says_now() {
    let mut warning = alert("app-05", 0);
    warning.severity = crate::model::AlertSeverity::Warning;
    let line = alert_changed_line(&warning, t(60), Tz::UTC);
    assert!(
        line.starts_with("22:16:00 ALERT now warning server_down app-05:"),
        "{line}"
    );
}

#[test]
fn control_characters_from_the_api_are_shown_escaped() {
    let mut hostile = alert("app-04\x1b[2J", 0);
    hostile.message = "down\x07 \x1b]0;pwned\x07 \u{9b}31m \u{202e}evil".into();
    let lines = vec![
        alert_line(&hostile, t(0), Tz::UTC),
        alert_cleared_line(&hostile, t(0), Tz::UTC),
    ];
    assert_plain(&lines);
    assert!(lines[0].contains("app-04\\x1b[2J"), "{}", lines[0]);
    assert!(
        lines[0].contains("down\\x07 \\x1b]0;pwned\\x07 \\x9b31m \\u{202e}evil"),
        "{}",
        lines[0]
    );
}

#[test]
fn a_note_is_one_line_with_kind_visibility_and_author() {
    let note = entry(7, 1, "rebooting sw-2 now", 90);
    assert_eq!(
        entry_lines(&note, Tz::UTC, false),
        vec!["22:16:30 #1 note, internal, by commander: rebooting sw-2 now"]
    );
}

#[test]
fn a_multi_line_body_continues_on_indented_lines() {
    let mut update = entry(
        8,
        1,
        "Sites on app-04 are down.\r\nWe are moving them.\n\n\tNext update at 16:00.\n\n",
        120,
    );
    update.kind = EntryKind::StatusUpdate;
    update.status = Some(UpdateStatus::Identified);
    update.visibility = Visibility::Public;
    update.author = "alice".into();
    let lines = entry_lines(&update, la(), false);
    assert_eq!(
        lines,
        vec![
            "15:17:00 #1 status_update identified, public, by alice: Sites on app-04 are down.",
            &format!("{INDENT}We are moving them."),
            "",
            &format!("{INDENT}    Next update at 16:00."),
        ]
        .into_iter()
        .map(|l| if l.is_empty() {
            INDENT.to_string()
        } else {
            l.to_string()
        })
        .collect::<Vec<_>>()
    );
    assert_plain(&lines);
}

#[test]
fn a_body_with_control_characters_keeps_them_visible_on_every_line() {
    let note = entry(9, 1, "first \x1b[31mred\x1b[0m\nsecond\x08\x08 \x00end", 0);
    let lines = entry_lines(&note, Tz::UTC, false);
    assert_plain(&lines);
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].ends_with("first \\x1b[31mred\\x1b[0m"),
        "{}",
        lines[0]
    );
    assert_eq!(lines[1], format!("{INDENT}second\\x08\\x08 \\x00end"));
}

#[test]
fn a_backdated_starred_marker_edited_entry_says_all_its_times() {
    let mut marker = entry(10, 2, "sites back on fo-1", 0);
    marker.kind = EntryKind::Marker;
    marker.marker = Some(Marker::Mitigated);
    marker.starred = true;
    marker.recorded_at = t(600);
    marker.edited_at = Some(t(900));
    let lines = entry_lines(&marker, Tz::UTC, true);
    assert_eq!(
        lines,
        vec![
            "22:15:00 #2 edited marker mitigated, internal, by commander, starred, recorded 22:25:00, edited 22:30:00: sites back on fo-1"
        ]
    );
}

#[test]
fn an_empty_body_leaves_the_head_alone_and_a_deleted_entry_says_so() {
    let empty = entry(11, 1, "\n", 0);
    assert_eq!(
        entry_lines(&empty, Tz::UTC, false),
        vec!["22:15:00 #1 note, internal, by commander"]
    );
    let mut deleted = entry(12, 1, "typo", 0);
    deleted.deleted_at = Some(t(30));
    assert_eq!(
        entry_lines(&deleted, Tz::UTC, true),
        vec!["22:15:30 #1 deleted the note by commander of 22:15:00"]
    );
}

#[test]
fn an_incident_is_declared_then_changes_status_and_severity() {
    let declared = incident(3, 1);
    assert_eq!(
        incident_line(&declared, t(60), Tz::UTC, true),
        "22:16:00 incident #3 declared: \"Sites down behind sw-2\", sev2, investigating, impact major, started 22:15:00"
    );
    let mut changed = declared.clone();
    changed.status = crate::model::IncidentStatus::Identified;
    changed.severity = Severity::Sev1;
    changed.components = vec![AffectedComponent {
        name: "Sites".into(),
        status: ComponentStatus::PartialOutage,
    }];
    changed.version = 2;
    assert_eq!(
        incident_change_line(&declared, &changed, t(120), Tz::UTC).as_deref(),
        Some(
            "22:17:00 incident #3 \"Sites down behind sw-2\": status investigating -> identified, severity sev2 -> sev1, components: Sites partial_outage"
        )
    );
    // A change of nothing a commander follows (here: only the version) says nothing.
    let mut touched = declared.clone();
    touched.version = 3;
    assert_eq!(
        incident_change_line(&declared, &touched, t(120), Tz::UTC),
        None
    );
}

#[test]
fn an_action_starts_and_reports_each_step_then_its_result() {
    use crate::model::{ActionState as A, StepState as S};
    let started = action(A::Running, &[S::Running, S::Pending]);
    let lines = action_lines(None, &started, t(120), Tz::UTC);
    assert_eq!(
        lines,
        vec![
            "22:17:00 action evacuate_server app-04 started by commander: move 2 sites off app-04 (2 steps)",
            "22:17:00 action evacuate_server app-04: step 1/2 running: move s1 app-04 -> fo-1",
        ]
    );
    // Step 1 succeeding is implied by step 2 starting.
    let second = action(A::Running, &[S::Succeeded, S::Running]);
    assert_eq!(
        action_lines(Some(&started), &second, t(125), Tz::UTC),
        vec!["22:17:05 action evacuate_server app-04: step 2/2 running: move s2 app-04 -> fo-1"]
    );
    let mut done = action(A::Succeeded, &[S::Succeeded, S::Succeeded]);
    done.finished_at = Some(t(130));
    assert_eq!(
        action_lines(Some(&second), &done, t(131), Tz::UTC),
        vec!["22:17:10 action evacuate_server app-04 succeeded: 2/2 steps done"]
    );
    // The same progress twice says nothing new.
    assert!(action_lines(Some(&done), &done, t(131), Tz::UTC).is_empty());
}

#[test]
fn a_failed_action_names_the_step_and_its_error() {
    use crate::model::{ActionState as A, StepState as S};
    let running = action(A::Running, &[S::Running, S::Pending, S::Pending]);
    let mut failed = action(A::Failed, &[S::Failed, S::Skipped, S::Skipped]);
    failed.steps[0].error = Some("runbook exited 2:\x1b[31m no socket".into());
    let lines = action_lines(Some(&running), &failed, t(140), Tz::UTC);
    assert_plain(&lines);
    assert_eq!(
        lines,
        vec![
            "22:17:20 action evacuate_server app-04: step 1/3 failed: move s1 app-04 -> fo-1 (runbook exited 2:\\x1b[31m no socket)",
            "22:17:20 action evacuate_server app-04 failed: 0/3 steps done, 2 skipped; step 1: runbook exited 2:\\x1b[31m no socket",
        ]
    );
}

#[test]
fn an_action_that_needs_follow_up_says_what_remains() {
    use crate::model::{ActionState as A, StepState as S};
    let mut failover = action(A::NeedsFollowUp, &[S::Succeeded]);
    failover.kind = PlanKind::CacheFailover;
    failover.target = None;
    failover.follow_up = Some(FollowUp {
        kind: crate::model::FollowUpKind::StaleClients,
        count: 12,
        offer: PlanRequest {
            kind: PlanKind::RecycleWeb,
            target: None,
            options: Default::default(),
        },
    });
    let lines = action_lines(None, &failover, t(200), Tz::UTC);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(
        lines[2],
        "22:18:20 action cache_failover needs_follow_up: 1/1 steps done; 12 stale cache connections remain, cleared by recycle_web"
    );
}

#[test]
fn spans_read_as_seconds_minutes_or_hours() {
    assert_eq!(span(TimeDelta::seconds(40)), "40s");
    assert_eq!(span(TimeDelta::seconds(15 * 60 + 59)), "15m");
    assert_eq!(span(TimeDelta::seconds(2 * 3600 + 5 * 60)), "2h 05m");
    assert_eq!(span(TimeDelta::seconds(-5)), "0s");
}

#[test]
fn connection_lines_say_what_happens_next() {
    assert_eq!(
        connection_lost_line(
            "cannot reach http://a:7700",
            std::time::Duration::from_millis(1800),
            t(0),
            Tz::UTC
        ),
        "22:15:00 connection lost: cannot reach http://a:7700, retrying in 2s"
    );
    assert_eq!(
        connection_lost_line("x", std::time::Duration::ZERO, t(0), Tz::UTC),
        "22:15:00 connection lost: x, retrying now"
    );
    assert_eq!(
        reconnected_line("http://b:7700", true, t(1), Tz::UTC),
        "22:15:01 reconnected to http://b:7700"
    );
    assert!(reconnected_line("http://b:7700", false, t(1), Tz::UTC).ends_with("reloading"));
}

#[test]
fn presence_lines_name_who_came_and_went_escaped() {
    use crate::model::{AccessRole, Presence, PresenceChange, PresenceEvent};
    let presence = |name: &str| Presence {
        client_id: "c1".into(),
        name: name.into(),
        role: AccessRole::Responder,
        since: t(0),
        seen_at: t(0),
    };
    let line = |change, name: &str| {
        presence_line(
            &PresenceEvent {
                change,
                presence: presence(name),
            },
            t(0),
            Tz::UTC,
        )
    };
    let joined = line(PresenceChange::Joined, "ana");
    assert!(joined.ends_with(" ana (responder) joined"), "{joined}");
    let left = line(PresenceChange::Left, "ana");
    assert!(left.ends_with(" ana (responder) left"), "{left}");
    let expired = line(PresenceChange::Expired, "ana\u{7}");
    assert!(
        expired.ends_with(" ana\\x07 (responder) left (no heartbeat)"),
        "{expired}"
    );
    assert_plain(&[joined, left, expired]);
}
