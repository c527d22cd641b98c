use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use super::*;
use crate::model::{
    Admin, Cache, Database, Health, Role, Server, Severity, Site, Source, Topology,
};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 1, 3, 0, 0)
        .single()
        .expect("valid time")
}

fn component(name: &str, status: ComponentStatus) -> AffectedComponent {
    AffectedComponent {
        name: name.into(),
        status,
    }
}

fn incident(severity: Severity) -> Incident {
    Incident {
        id: 7,
        title: "Sites down behind sw-2".into(),
        severity,
        status: IncidentStatus::Investigating,
        impact: Impact::Major,
        components: vec![
            component("api", ComponentStatus::MajorOutage),
            component("web", ComponentStatus::Operational),
            component("cdn", ComponentStatus::DegradedPerformance),
        ],
        state: IncidentState::Open,
        started_at: t0(),
        created_at: t0(),
        updated_at: t0(),
        resolved_at: None,
        version: 1,
    }
}

/// A draft that contradicts nothing: operational components, a text, impact minor.
fn calm_draft(status: UpdateStatus) -> StatusDraft {
    StatusDraft {
        status,
        impact: Impact::Minor,
        components: vec![component("api", ComponentStatus::Operational)],
        body: "Sites are back; we are watching.".into(),
    }
}

fn healthy_fleet() -> FleetFacts {
    FleetFacts {
        sites_total: 40,
        ..FleetFacts::default()
    }
}

fn warnings_for(
    last_public: Option<UpdateStatus>,
    draft: &StatusDraft,
    facts: &FleetFacts,
) -> Vec<String> {
    preview(&incident(Severity::Sev1), last_public, draft, facts).warnings
}

fn count_containing(warnings: &[String], needle: &str) -> usize {
    warnings.iter().filter(|w| w.contains(needle)).count()
}

// --- warnings --------------------------------------------------------------

#[test]
fn a_consistent_update_has_no_warnings() {
    for status in [
        UpdateStatus::Investigating,
        UpdateStatus::Identified,
        UpdateStatus::Update,
        UpdateStatus::Monitoring,
        UpdateStatus::Resolved,
    ] {
        let warnings = warnings_for(
            Some(UpdateStatus::Investigating),
            &calm_draft(status),
            &healthy_fleet(),
        );
        assert!(warnings.is_empty(), "{status:?}: {warnings:?}");
    }
}

#[test]
fn resolved_while_a_component_is_impaired() {
    for status in [
        ComponentStatus::MajorOutage,
        ComponentStatus::PartialOutage,
        ComponentStatus::DegradedPerformance,
    ] {
        let mut draft = calm_draft(UpdateStatus::Resolved);
        draft.components.push(component("web", status));
        let warnings = warnings_for(None, &draft, &healthy_fleet());
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("resolved"), "{warnings:?}");
        assert!(
            warnings[0].contains(&format!("web ({})", component_status_name(status))),
            "{warnings:?}"
        );
        // The same component in a monitoring update contradicts nothing.
        draft.status = UpdateStatus::Monitoring;
        assert!(warnings_for(None, &draft, &healthy_fleet()).is_empty());
    }
}

#[test]
fn resolved_with_a_component_under_maintenance_is_fine() {
    let mut draft = calm_draft(UpdateStatus::Resolved);
    draft
        .components
        .push(component("db", ComponentStatus::UnderMaintenance));
    assert!(warnings_for(None, &draft, &healthy_fleet()).is_empty());
}

#[test]
fn resolved_or_monitoring_while_sites_are_down() {
    let facts = FleetFacts {
        sites_total: 40,
        sites_down: 3,
        ..FleetFacts::default()
    };
    for status in [UpdateStatus::Resolved, UpdateStatus::Monitoring] {
        let warnings = warnings_for(None, &calm_draft(status), &facts);
        assert_eq!(warnings.len(), 1, "{status:?}: {warnings:?}");
        assert!(
            warnings[0].contains("3 of 40 sites are down"),
            "{warnings:?}"
        );
    }
    // Earlier statuses admit the problem: sites being down is what they say.
    for status in [
        UpdateStatus::Investigating,
        UpdateStatus::Identified,
        UpdateStatus::Update,
    ] {
        assert!(warnings_for(None, &calm_draft(status), &facts).is_empty());
    }
    let one = FleetFacts {
        sites_down: 1,
        ..facts
    };
    let warnings = warnings_for(None, &calm_draft(UpdateStatus::Monitoring), &one);
    assert!(
        warnings[0].contains("1 of 40 sites is down"),
        "{warnings:?}"
    );
}

#[test]
fn resolved_while_sites_are_degraded_or_nodes_down() {
    let degraded = FleetFacts {
        sites_total: 40,
        sites_degraded: 2,
        ..FleetFacts::default()
    };
    let warnings = warnings_for(None, &calm_draft(UpdateStatus::Resolved), &degraded);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("2 of 40 sites are degraded"),
        "{warnings:?}"
    );
    assert!(warnings_for(None, &calm_draft(UpdateStatus::Monitoring), &degraded).is_empty());

    let nodes = FleetFacts {
        sites_total: 40,
        nodes_down: vec!["app-3".into(), "db-2".into()],
        ..FleetFacts::default()
    };
    let warnings = warnings_for(None, &calm_draft(UpdateStatus::Resolved), &nodes);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("app-3 and db-2 are still down"),
        "{warnings:?}"
    );
    assert!(warnings_for(None, &calm_draft(UpdateStatus::Monitoring), &nodes).is_empty());
}

#[test]
fn impact_none_while_a_component_is_in_an_outage() {
    for status in [ComponentStatus::MajorOutage, ComponentStatus::PartialOutage] {
        let mut draft = calm_draft(UpdateStatus::Identified);
        draft.impact = Impact::None;
        draft.components.push(component("web", status));
        let warnings = warnings_for(None, &draft, &healthy_fleet());
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].starts_with("Impact is none"), "{warnings:?}");
        assert!(warnings[0].contains("web"), "{warnings:?}");
        draft.impact = Impact::Minor;
        assert!(warnings_for(None, &draft, &healthy_fleet()).is_empty());
    }
    // Degraded performance is not an outage.
    let mut draft = calm_draft(UpdateStatus::Identified);
    draft.impact = Impact::None;
    draft
        .components
        .push(component("web", ComponentStatus::DegradedPerformance));
    assert!(warnings_for(None, &draft, &healthy_fleet()).is_empty());
}

#[test]
fn resolved_with_major_or_critical_impact() {
    for impact in [Impact::Major, Impact::Critical] {
        let mut draft = calm_draft(UpdateStatus::Resolved);
        draft.impact = impact;
        let warnings = warnings_for(None, &draft, &healthy_fleet());
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains(&format!("impact is still {}", impact.as_str())),
            "{warnings:?}"
        );
        draft.status = UpdateStatus::Monitoring;
        assert!(warnings_for(None, &draft, &healthy_fleet()).is_empty());
    }
    for impact in [Impact::None, Impact::Minor] {
        let mut draft = calm_draft(UpdateStatus::Resolved);
        draft.impact = impact;
        assert!(warnings_for(None, &draft, &healthy_fleet()).is_empty());
    }
}

#[test]
fn status_going_backwards() {
    use UpdateStatus::*;
    let backwards = [
        (Identified, Investigating),
        (Monitoring, Investigating),
        (Monitoring, Identified),
        (Resolved, Monitoring),
        (Resolved, Investigating),
    ];
    for (last, next) in backwards {
        let warnings = warnings_for(Some(last), &calm_draft(next), &healthy_fleet());
        assert_eq!(warnings.len(), 1, "{last:?} -> {next:?}: {warnings:?}");
        assert!(warnings[0].contains(last.as_str()), "{warnings:?}");
        assert!(warnings[0].contains(next.as_str()), "{warnings:?}");
    }
    let reopen = warnings_for(Some(Resolved), &calm_draft(Identified), &healthy_fleet());
    assert!(reopen[0].contains("reopens"), "{reopen:?}");

    let fine = [
        (Investigating, Investigating),
        (Investigating, Identified),
        (Identified, Monitoring),
        (Monitoring, Resolved),
        // `update` is neutral both ways.
        (Monitoring, Update),
        (Resolved, Update),
        (Update, Investigating),
    ];
    for (last, next) in fine {
        let warnings = warnings_for(Some(last), &calm_draft(next), &healthy_fleet());
        assert!(warnings.is_empty(), "{last:?} -> {next:?}: {warnings:?}");
    }
    // Nothing posted yet: nothing to go back from.
    assert!(warnings_for(None, &calm_draft(Investigating), &healthy_fleet()).is_empty());
}

#[test]
fn empty_body() {
    for body in ["", "  \n\t "] {
        let mut draft = calm_draft(UpdateStatus::Identified);
        draft.body = body.into();
        let warnings = warnings_for(None, &draft, &healthy_fleet());
        assert_eq!(warnings.len(), 1, "{body:?}: {warnings:?}");
        assert!(warnings[0].contains("no text"), "{warnings:?}");
    }
}

#[test]
fn warnings_come_most_serious_first() {
    let draft = StatusDraft {
        status: UpdateStatus::Resolved,
        impact: Impact::Critical,
        components: vec![component("api", ComponentStatus::MajorOutage)],
        body: String::new(),
    };
    let facts = FleetFacts {
        sites_total: 40,
        sites_down: 3,
        sites_degraded: 2,
        nodes_down: vec!["app-3".into()],
    };
    let warnings = warnings_for(Some(UpdateStatus::Resolved), &draft, &facts);
    let order = [
        "3 of 40 sites are down",
        "api (major outage)",
        "impact is still critical",
        "2 of 40 sites are degraded",
        "app-3 is still down",
        "no text",
    ];
    assert_eq!(warnings.len(), order.len(), "{warnings:?}");
    for (warning, needle) in warnings.iter().zip(order) {
        assert!(
            warning.contains(needle),
            "{warning:?} should mention {needle:?}"
        );
    }
    for needle in order {
        assert_eq!(
            count_containing(&warnings, needle),
            1,
            "{needle}: {warnings:?}"
        );
    }
}

// --- components ------------------------------------------------------------

#[test]
fn components_are_listed_old_to_new_in_draft_order_then_removed() {
    use ComponentStatus::{DegradedPerformance as Degraded, MajorOutage, Operational};
    let draft = StatusDraft {
        status: UpdateStatus::Monitoring,
        impact: Impact::Minor,
        components: vec![
            component("web", Operational),
            component("db", ComponentStatus::PartialOutage),
            component("api", Degraded),
        ],
        body: "Recovering.".into(),
    };
    let preview = preview(&incident(Severity::Sev1), None, &draft, &healthy_fleet());
    let change = |name: &str, old, new| ComponentChange {
        name: name.into(),
        old,
        new,
    };
    assert_eq!(
        preview.components,
        vec![
            change("web", Some(Operational), Some(Operational)),
            change("db", None, Some(ComponentStatus::PartialOutage)),
            change("api", Some(MajorOutage), Some(Degraded)),
            change("cdn", Some(Degraded), None),
        ]
    );
    assert!(preview.components[0].is_unchanged());
    assert!(!preview.components[2].is_unchanged());
    assert_eq!(preview.impact, (Impact::Major, Impact::Minor));
    assert_eq!(preview.status, UpdateStatus::Monitoring);
    assert_eq!(preview.body, "Recovering.");
}

// --- fleet facts -----------------------------------------------------------

fn health(state: HealthState) -> Health {
    Health {
        state,
        ..Health::unknown(t0())
    }
}

fn server(id: &str, role: Role, state: HealthState) -> Server {
    Server {
        id: id.into(),
        role,
        switch: "sw-1".into(),
        capacity: 10,
        site_count: 0,
        admin: Admin::Ready,
        health: health(state),
    }
}

fn site(id: &str, state: HealthState) -> Site {
    Site {
        id: id.into(),
        name: id.into(),
        server: "app-1".into(),
        home_server: "app-1".into(),
        health: health(state),
        down_since: None,
        stuck_backends: 0,
    }
}

#[test]
fn fleet_facts_count_sites_and_name_unhealthy_nodes() {
    let topology = Topology {
        version: 3,
        service: "shop".into(),
        switches: Vec::new(),
        servers: vec![
            server("app-1", Role::App, HealthState::Up),
            server("app-2", Role::App, HealthState::Down),
            server("app-3", Role::App, HealthState::Flapping),
            server("web-1", Role::Web, HealthState::Degraded),
            server("cache-1", Role::Cache, HealthState::Down),
        ],
        sites: vec![
            site("s1", HealthState::Up),
            site("s2", HealthState::Down),
            site("s3", HealthState::Flapping),
            site("s4", HealthState::Degraded),
            site("s5", HealthState::Unknown),
        ],
        cache: Some(Cache {
            active: "cache-1".into(),
            standby: vec!["cache-2".into()],
            epoch: 1,
            stale_clients: 0,
            health: health(HealthState::Down),
        }),
        database: Some(Database {
            writer: "db-1".into(),
            replicas: vec!["db-2".into()],
            epoch: 1,
            stuck_backends: 0,
            health: health(HealthState::Down),
        }),
    };
    let facts = fleet_facts(&FleetSnapshot::from_topology(topology));
    assert_eq!(
        facts,
        FleetFacts {
            sites_total: 5,
            sites_down: 2,
            sites_degraded: 1,
            // cache-1 once (listed as a server and as the active cache node),
            // db-1 from the database's writer health.
            nodes_down: vec![
                "app-2".into(),
                "app-3".into(),
                "cache-1".into(),
                "db-1".into()
            ],
        }
    );
    assert_eq!(
        fleet_facts(&FleetSnapshot::default()),
        FleetFacts::default()
    );
}

// --- cadence ---------------------------------------------------------------

fn entry(
    id: i64,
    kind: EntryKind,
    visibility: Visibility,
    status: Option<UpdateStatus>,
    occurred_at: DateTime<Utc>,
) -> TimelineEntry {
    TimelineEntry {
        id,
        incident_id: 7,
        kind,
        status,
        visibility,
        body: "text".into(),
        author: "ana".into(),
        occurred_at,
        recorded_at: occurred_at,
        edited_at: None,
        edited_by: None,
        version: 1,
        starred: false,
        marker: None,
        source: Source::User,
        deleted_at: None,
    }
}

fn public_update(id: i64, status: UpdateStatus, at: DateTime<Utc>) -> TimelineEntry {
    entry(
        id,
        EntryKind::StatusUpdate,
        Visibility::Public,
        Some(status),
        at,
    )
}

#[test]
fn next_update_is_due_by_severity_from_the_start() {
    let cadence = UpdateCadence::default();
    let due = |severity| next_update_due(&incident(severity), &[], &cadence);
    assert_eq!(due(Severity::Sev1), Some(t0() + TimeDelta::minutes(30)));
    assert_eq!(due(Severity::Sev2), Some(t0() + TimeDelta::minutes(60)));
    assert_eq!(due(Severity::Sev3), None);
    assert_eq!(due(Severity::Sev4), None);

    let custom = UpdateCadence {
        sev3: Some(TimeDelta::minutes(120)),
        ..UpdateCadence::default()
    };
    assert_eq!(
        next_update_due(&incident(Severity::Sev3), &[], &custom),
        Some(t0() + TimeDelta::minutes(120))
    );
}

#[test]
fn a_public_update_resets_the_countdown_but_a_note_does_not() {
    let cadence = UpdateCadence::default();
    let incident = incident(Severity::Sev1);
    let posted = t0() + TimeDelta::minutes(20);
    let later = t0() + TimeDelta::minutes(40);
    let entries = vec![public_update(1, UpdateStatus::Identified, posted)];
    assert_eq!(
        next_update_due(&incident, &entries, &cadence),
        Some(posted + TimeDelta::minutes(30))
    );

    let mut with_others = entries.clone();
    with_others.push(entry(2, EntryKind::Note, Visibility::Internal, None, later));
    with_others.push(entry(3, EntryKind::Note, Visibility::Public, None, later));
    with_others.push(entry(
        4,
        EntryKind::StatusUpdate,
        Visibility::Internal,
        Some(UpdateStatus::Update),
        later,
    ));
    let mut deleted = public_update(5, UpdateStatus::Update, later);
    deleted.deleted_at = Some(later);
    with_others.push(deleted);
    assert_eq!(
        next_update_due(&incident, &with_others, &cadence),
        Some(posted + TimeDelta::minutes(30))
    );

    // Newest by occurred_at, not by position: a back-dated update is older.
    with_others.push(public_update(6, UpdateStatus::Update, later));
    with_others.push(public_update(7, UpdateStatus::Update, t0()));
    assert_eq!(
        next_update_due(&incident, &with_others, &cadence),
        Some(later + TimeDelta::minutes(30))
    );
}

#[test]
fn no_update_is_due_once_resolved() {
    let cadence = UpdateCadence::default();
    let mut resolved = incident(Severity::Sev1);
    resolved.status = IncidentStatus::Resolved;
    resolved.state = IncidentState::Resolved;
    assert_eq!(next_update_due(&resolved, &[], &cadence), None);
}

#[test]
fn last_public_status_is_the_newest_public_update() {
    let at = |m| t0() + TimeDelta::minutes(m);
    assert_eq!(last_public_status(&[]), None);
    let mut entries = vec![
        public_update(1, UpdateStatus::Investigating, at(0)),
        public_update(2, UpdateStatus::Monitoring, at(30)),
        // Back-dated after the monitoring one was posted: older.
        public_update(3, UpdateStatus::Identified, at(10)),
        entry(
            4,
            EntryKind::StatusUpdate,
            Visibility::Internal,
            Some(UpdateStatus::Resolved),
            at(40),
        ),
        entry(5, EntryKind::Note, Visibility::Public, None, at(50)),
    ];
    assert_eq!(last_public_status(&entries), Some(UpdateStatus::Monitoring));
    entries[1].deleted_at = Some(at(45));
    assert_eq!(last_public_status(&entries), Some(UpdateStatus::Identified));
}

// --- countdown -------------------------------------------------------------

#[test]
fn countdown_text_reads_at_a_glance() {
    let due = t0();
    // Seconds from now until due (negative: overdue) and what is shown.
    let cases = [
        (12 * 60, "next update due in 12 min"),
        // Rounded down: never more time than is left.
        (12 * 60 + 59, "next update due in 12 min"),
        (60, "next update due in 1 min"),
        (59, "next update due in under a minute"),
        (1, "next update due in under a minute"),
        (0, "next update due now"),
        (-59, "next update due now"),
        (-60, "next update overdue by 1 min"),
        (-(3 * 60 + 30), "next update overdue by 3 min"),
        (60 * 60, "next update due in 60 min"),
        (125 * 60, "next update due in 2 h 05 min"),
        (-180 * 60, "next update overdue by 3 h 00 min"),
    ];
    for (left, text) in cases {
        let now = due - TimeDelta::seconds(left);
        assert_eq!(countdown_text(due, now), text, "{left}s before due");
    }
}
