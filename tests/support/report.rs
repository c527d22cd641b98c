//! Hand-built incidents, timelines and health histories for the report tests:
//! the 2017 switch outage of DESIGN.md §1, and turning imported entries into
//! stored ones the way the API would.

use chrono::{Duration, TimeZone, Utc};
use warroom::model::{
    AffectedComponent, ComponentKind, ComponentStatus, EntryKind, HealthSample, HealthState,
    Incident, IncidentState, IncidentStatus, Marker, NewEntry, NewIncident, Severity, Source,
    TimelineEntry, Timestamp, UpdateStatus, Visibility,
};
use warroom::report::PostmortemInput;

pub const SERVICE: &str = "Acme Sites";

pub fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Timestamp {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

/// 15:15 PDT on 2017-09-11, the switch outage's start, plus `minutes`.
pub fn pdt(minutes: i64) -> Timestamp {
    utc(2017, 9, 11, 22, 15) + Duration::minutes(minutes)
}

pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(golden_path(name)).unwrap()
}

pub fn golden_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/report")
        .join(name)
}

/// Compares `actual` with the golden file `name`; with `UPDATE_GOLDEN=1` it
/// rewrites the file instead.
pub fn assert_golden(name: &str, actual: &str) {
    let path = golden_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap();
    assert!(
        expected == actual,
        "{name} differs from the golden file:\n{}",
        first_difference(&expected, actual)
    );
}

fn first_difference(expected: &str, actual: &str) -> String {
    for (number, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
        if e != a {
            return format!("line {}:\n expected: {e:?}\n   actual: {a:?}", number + 1);
        }
    }
    format!(
        "line counts differ: expected {}, actual {}",
        expected.lines().count(),
        actual.lines().count()
    )
}

pub struct EntryBuilder {
    entries: Vec<TimelineEntry>,
}

impl EntryBuilder {
    pub fn new() -> Self {
        EntryBuilder {
            entries: Vec::new(),
        }
    }

    fn push(&mut self, kind: EntryKind, at: Timestamp, body: &str) -> &mut TimelineEntry {
        let id = self.entries.len() as i64 + 1;
        let (author, source) = match kind {
            EntryKind::Detection => ("detector", Source::Detector),
            EntryKind::Action => ("orchestrator", Source::Action),
            _ => ("alice", Source::User),
        };
        self.entries.push(TimelineEntry {
            id,
            incident_id: 42,
            kind,
            status: None,
            visibility: Visibility::Internal,
            body: body.to_string(),
            author: author.to_string(),
            occurred_at: at,
            recorded_at: at,
            edited_at: None,
            edited_by: None,
            version: 1,
            starred: false,
            marker: None,
            source,
            deleted_at: None,
        });
        self.entries.last_mut().unwrap()
    }

    pub fn detection(&mut self, at: Timestamp, body: &str) -> &mut Self {
        self.push(EntryKind::Detection, at, body);
        self
    }

    pub fn action(&mut self, at: Timestamp, body: &str) -> &mut Self {
        self.push(EntryKind::Action, at, body);
        self
    }

    pub fn note(&mut self, at: Timestamp, body: &str) -> &mut Self {
        self.push(EntryKind::Note, at, body);
        self
    }

    pub fn starred(&mut self, at: Timestamp, body: &str) -> &mut Self {
        self.push(EntryKind::Note, at, body).starred = true;
        self
    }

    pub fn marker(&mut self, at: Timestamp, marker: Marker, body: &str) -> &mut Self {
        self.push(EntryKind::Marker, at, body).marker = Some(marker);
        self
    }

    pub fn update(&mut self, at: Timestamp, status: UpdateStatus, body: &str) -> &mut Self {
        let entry = self.push(EntryKind::StatusUpdate, at, body);
        entry.status = Some(status);
        entry.visibility = Visibility::Public;
        self
    }

    pub fn internal_update(
        &mut self,
        at: Timestamp,
        status: UpdateStatus,
        body: &str,
    ) -> &mut Self {
        self.push(EntryKind::StatusUpdate, at, body).status = Some(status);
        self
    }

    pub fn deleted_note(&mut self, at: Timestamp, body: &str) -> &mut Self {
        self.push(EntryKind::Note, at, body).deleted_at = Some(at);
        self
    }

    pub fn build(&self) -> Vec<TimelineEntry> {
        self.entries.clone()
    }
}

pub fn incident_2017() -> Incident {
    Incident {
        id: 42,
        title: "Sites offline after a network switch failure".to_string(),
        severity: Severity::Sev1,
        status: IncidentStatus::Resolved,
        impact: warroom::model::Impact::Major,
        components: vec![
            AffectedComponent {
                name: "Sites".to_string(),
                status: ComponentStatus::Operational,
            },
            AffectedComponent {
                name: "Application servers".to_string(),
                status: ComponentStatus::Operational,
            },
        ],
        state: IncidentState::Resolved,
        started_at: pdt(0),
        created_at: pdt(1),
        updated_at: utc(2017, 9, 12, 13, 42),
        resolved_at: Some(utc(2017, 9, 12, 13, 42)),
        version: 30,
    }
}

pub const UPDATES_2017: [(UpdateStatus, &str); 6] = [
    (
        UpdateStatus::Investigating,
        "We are investigating reports of sites hosted on one of our servers being unavailable. \
         The affected sites are being moved to a failover server.",
    ),
    (
        UpdateStatus::Identified,
        "Our data center has confirmed a faulty network switch affecting several of our servers. \
         Sites hosted on those servers are being moved to failover servers.",
    ),
    (
        UpdateStatus::Update,
        "A third server behind the faulty switch went offline. We have configured an additional \
         failover server and are moving the remaining affected sites by hand.",
    ),
    (
        UpdateStatus::Monitoring,
        "All sites are back online. Our memory object caching system has been switched to its \
         standby ahead of the switch reboot. We are monitoring the situation.",
    ),
    (
        UpdateStatus::Update,
        "Between 18:03 and 18:30 PDT some requests failed: after the cache switch-over our web \
         servers kept connections to the old cache node. All web servers have been restarted and \
         every site is working normally. We will return to our normal configuration tomorrow.",
    ),
    (
        UpdateStatus::Resolved,
        "Our systems are back in their normal configuration. This incident has been resolved.",
    ),
];

pub fn update_times_2017() -> [Timestamp; 6] {
    [
        utc(2017, 9, 11, 22, 25),
        utc(2017, 9, 11, 23, 31),
        utc(2017, 9, 12, 0, 2),
        utc(2017, 9, 12, 0, 48),
        utc(2017, 9, 12, 1, 36),
        utc(2017, 9, 12, 13, 42),
    ]
}

/// The switch outage as warroom would have recorded it (times relative to 15:15 PDT).
pub fn entries_2017() -> Vec<TimelineEntry> {
    let updates = update_times_2017();
    let u = |i: usize| (updates[i], UPDATES_2017[i].0, UPDATES_2017[i].1);
    let mut b = EntryBuilder::new();
    b.detection(pdt(1), "app-03 down: 10 sites unreachable")
        .marker(pdt(5), Marker::Acknowledged, "Bob takes command")
        .action(pdt(7), "Evacuate app-03 to fo-01: 10 sites moved")
        .update(u(0).0, u(0).1, u(0).2)
        .detection(pdt(45), "app-07 flapping: 6 transitions in 5 minutes")
        .detection(
            pdt(50),
            "Switch sw-2 suspect: 2 of 3 servers behind it unhealthy",
        )
        .action(pdt(53), "Evacuate app-07 to fo-02: 8 sites moved")
        .starred(pdt(73), "Data center confirms a faulty switch (sw-2)")
        .update(u(1).0, u(1).1, u(1).2)
        .detection(pdt(80), "app-11 down: 12 sites unreachable")
        .note(
            pdt(85),
            "No failover capacity left; promoting app-20 into the failover pool",
        )
        .action(
            pdt(90),
            "Promote app-20 to failover; evacuate app-11 to app-20: 12 sites moved",
        )
        .marker(pdt(103), Marker::Mitigated, "All sites back online")
        .update(u(2).0, u(2).1, u(2).2)
        .action(pdt(135), "Cache failover cache-1 -> cache-2 (epoch 7)")
        .update(u(3).0, u(3).1, u(3).2)
        .detection(
            pdt(168),
            "Stale connections: 14 web servers still hold connections to cache-1",
        )
        .starred(
            pdt(180),
            "Stack trace points at web servers holding connections\nto the old cache node",
        )
        .action(pdt(185), "Recycle web servers: 14 restarted")
        .marker(pdt(195), Marker::Resolved, "")
        .update(u(4).0, u(4).1, u(4).2)
        .internal_update(pdt(200), UpdateStatus::Update, "Draft, never published")
        .deleted_note(pdt(201), "Action item: this note was deleted")
        .note(
            utc(2017, 9, 12, 13, 0),
            "Action item: handle several servers failing at once without manual re-balancing",
        )
        .note(
            utc(2017, 9, 12, 13, 1),
            "action item: test the cache dependency in a drill",
        )
        .note(
            utc(2017, 9, 12, 13, 2),
            "ACTION ITEM:   detect web servers holding stale cache connections",
        )
        .update(u(5).0, u(5).1, u(5).2);
    b.build()
}

fn sample(
    id: &str,
    kind: ComponentKind,
    at: Timestamp,
    state: HealthState,
    error_rate: f64,
) -> HealthSample {
    HealthSample {
        component_id: id.to_string(),
        component: kind,
        at,
        state,
        latency_ms: None,
        error_rate,
    }
}

pub const TOTAL_SITES_2017: u32 = 400;

/// Sites 1–10 down 15 minutes (app-03), 11–18 flapping 60 minutes (app-07),
/// 19–30 down 23 minutes (app-11); then every site failing requests through one
/// code path from 18:03 to 18:30 PDT.
pub fn site_history_2017() -> Vec<HealthSample> {
    let mut history = Vec::new();
    let site = |n: u32| format!("s-{n:03}");
    let mut spell = |range: std::ops::RangeInclusive<u32>, from, to, state| {
        for n in range {
            history.push(sample(&site(n), ComponentKind::Site, pdt(from), state, 1.0));
            history.push(sample(
                &site(n),
                ComponentKind::Site,
                pdt(to),
                HealthState::Up,
                0.0,
            ));
        }
    };
    spell(1..=10, 0, 15, HealthState::Down);
    spell(11..=18, 45, 105, HealthState::Flapping);
    spell(19..=30, 80, 103, HealthState::Down);
    for n in 1..=TOTAL_SITES_2017 {
        history.push(sample(
            &site(n),
            ComponentKind::Site,
            pdt(168),
            HealthState::Degraded,
            0.25,
        ));
        history.push(sample(
            &site(n),
            ComponentKind::Site,
            pdt(195),
            HealthState::Up,
            0.0,
        ));
    }
    history
}

pub fn component_history_2017() -> Vec<HealthSample> {
    use ComponentKind::*;
    use HealthState::*;
    vec![
        sample("app-03", Server, pdt(0), Down, 1.0),
        sample("app-03", Server, pdt(165), Up, 0.0),
        sample("app-07", Server, pdt(45), Flapping, 0.5),
        sample("app-07", Server, pdt(165), Up, 0.0),
        sample("app-11", Server, pdt(80), Down, 1.0),
        sample("app-11", Server, pdt(165), Up, 0.0),
        sample("sw-2", Switch, pdt(50), Degraded, 0.0),
        sample("sw-2", Switch, pdt(150), Down, 0.0),
        sample("sw-2", Switch, pdt(160), Up, 0.0),
        sample("cache-1", Cache, pdt(135), Degraded, 0.1),
        sample("cache-1", Cache, pdt(195), Up, 0.0),
        // Healthy throughout: not listed.
        sample("db-1", Database, pdt(0), Up, 0.0),
    ]
}

/// The postmortem's posted time in the 2017 report.
pub fn posted_2017() -> Timestamp {
    utc(2017, 9, 14, 12, 46)
}

/// Who held the 2017 incident's roles: the first commander handed off to a
/// second 25 minutes in; communications from minute 5; no scribe.
pub static ROLES_2017: std::sync::LazyLock<Vec<warroom::model::RoleTerm>> =
    std::sync::LazyLock::new(|| {
        use warroom::model::{IncidentRole, RoleTerm};
        let term = |role, holder: &str, from: i64, until: Option<i64>| RoleTerm {
            role,
            holder: holder.into(),
            from: pdt(from),
            until: until.map(pdt),
            assigned_by: "ana".into(),
        };
        vec![
            term(IncidentRole::Commander, "ana", 0, Some(25)),
            term(IncidentRole::Communications, "cleo", 5, None),
            term(IncidentRole::Commander, "ben", 25, None),
        ]
    });

pub fn input_2017<'a>(
    incident: &'a Incident,
    entries: &'a [TimelineEntry],
    sites: &'a [HealthSample],
    components: &'a [HealthSample],
    tz: chrono_tz::Tz,
) -> PostmortemInput<'a> {
    PostmortemInput {
        service: SERVICE,
        incident,
        entries,
        site_history: sites,
        total_sites: TOTAL_SITES_2017,
        component_history: components,
        tz,
        until: posted_2017(),
        roles: &ROLES_2017,
    }
}

/// The incident the API would create from `new` (id 7, created at `now`).
pub fn stored_incident(new: &NewIncident, now: Timestamp) -> Incident {
    Incident {
        id: 7,
        title: new.title.clone(),
        severity: new.severity,
        status: new.status,
        impact: new.impact,
        components: new.components.clone(),
        state: if new.status == IncidentStatus::Resolved {
            IncidentState::Resolved
        } else {
            IncidentState::Open
        },
        started_at: new.started_at.unwrap_or(now),
        created_at: now,
        updated_at: now,
        resolved_at: None,
        version: 1,
    }
}

/// The entries the API would store from `new`, posted in order (ids 1, 2, …).
pub fn stored_entries(new: &[NewEntry], now: Timestamp) -> Vec<TimelineEntry> {
    new.iter()
        .enumerate()
        .map(|(index, e)| TimelineEntry {
            id: index as i64 + 1,
            incident_id: 7,
            kind: e.kind,
            status: e.status,
            visibility: e
                .visibility
                .unwrap_or(if e.kind == EntryKind::StatusUpdate {
                    Visibility::Public
                } else {
                    Visibility::Internal
                }),
            body: e.body.clone(),
            author: "importer".to_string(),
            occurred_at: e.occurred_at.unwrap_or(now),
            recorded_at: now,
            edited_at: None,
            edited_by: None,
            version: 1,
            starred: e.starred,
            marker: e.marker,
            source: e.source.unwrap_or(Source::User),
            deleted_at: None,
        })
        .collect()
}
