//! Postmortem export of an incident with 10,000 timeline entries: build (all
//! figures computed) plus Markdown rendering with the default template.
//! Prints the mean. Target <= 50 ms (DESIGN.md §8).
//!
//! cargo bench --bench export

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use warroom::model::{
    AffectedComponent, ComponentKind, ComponentStatus, EntryKind, HealthSample, HealthState,
    Impact, Incident, IncidentState, IncidentStatus, Marker, Severity, Source, TimelineEntry,
    Timestamp, UpdateStatus, Visibility,
};
use warroom::report::{
    DEFAULT_TEMPLATE, Postmortem, PostmortemInput, build, render_json, render_markdown,
};

const ENTRIES: usize = 10_000;
const SITES: u32 = 1_000;
const TARGET: Duration = Duration::from_millis(50);

struct Fixture {
    incident: Incident,
    entries: Vec<TimelineEntry>,
    sites: Vec<HealthSample>,
    components: Vec<HealthSample>,
}

fn start() -> Timestamp {
    Utc.with_ymd_and_hms(2017, 9, 11, 22, 15, 0)
        .single()
        .expect("valid time")
}

fn fixture() -> Fixture {
    let start = start();
    // Ten thousand entries over 24 hours, every kind, some starred or marked.
    let entries = (0..ENTRIES)
        .map(|i| {
            let at = start + chrono::Duration::seconds(i as i64 * 8);
            let kind = match i % 10 {
                0 => EntryKind::StatusUpdate,
                1 | 2 => EntryKind::Detection,
                3 | 4 => EntryKind::Action,
                5 => EntryKind::Marker,
                _ => EntryKind::Note,
            };
            let body = match kind {
                EntryKind::Note if i % 50 == 6 => format!("Action item: follow up on item {i}"),
                _ => format!(
                    "Entry {i}: app-{:02} reported {} sites unreachable behind sw-{}\nsecond line",
                    i % 40,
                    i % 17,
                    i % 5
                ),
            };
            TimelineEntry {
                id: i as i64 + 1,
                incident_id: 1,
                kind,
                status: (kind == EntryKind::StatusUpdate).then_some(UpdateStatus::Update),
                visibility: if kind == EntryKind::StatusUpdate && i % 20 == 0 {
                    Visibility::Public
                } else {
                    Visibility::Internal
                },
                body,
                author: "bench".to_string(),
                occurred_at: at,
                recorded_at: at,
                edited_at: None,
                edited_by: None,
                version: 1,
                starred: i % 7 == 0,
                marker: (kind == EntryKind::Marker).then_some(Marker::Acknowledged),
                source: Source::User,
                deleted_at: None,
            }
        })
        .collect();
    let sample = |id: String, component, minute: i64, state, error_rate| HealthSample {
        component_id: id,
        component,
        at: start + chrono::Duration::minutes(minute),
        state,
        latency_ms: None,
        error_rate,
    };
    let mut sites = Vec::new();
    for n in 0..SITES {
        let id = format!("s-{n:04}");
        let down_at = i64::from(n % 120);
        sites.push(sample(
            id.clone(),
            ComponentKind::Site,
            down_at,
            HealthState::Down,
            1.0,
        ));
        sites.push(sample(
            id.clone(),
            ComponentKind::Site,
            down_at + 30,
            HealthState::Degraded,
            0.2,
        ));
        sites.push(sample(
            id,
            ComponentKind::Site,
            down_at + 45,
            HealthState::Up,
            0.0,
        ));
    }
    let components = (0..200)
        .flat_map(|n| {
            let id = format!("app-{n:03}");
            [
                sample(
                    id.clone(),
                    ComponentKind::Server,
                    n,
                    HealthState::Flapping,
                    0.5,
                ),
                sample(id, ComponentKind::Server, n + 20, HealthState::Up, 0.0),
            ]
        })
        .collect();
    let incident = Incident {
        id: 1,
        title: "Bench incident".to_string(),
        severity: Severity::Sev1,
        status: IncidentStatus::Monitoring,
        impact: Impact::Major,
        components: vec![AffectedComponent {
            name: "Sites".to_string(),
            status: ComponentStatus::PartialOutage,
        }],
        state: IncidentState::Open,
        started_at: start,
        created_at: start,
        updated_at: start,
        resolved_at: None,
        version: 1,
    };
    Fixture {
        incident,
        entries,
        sites,
        components,
    }
}

fn input(fixture: &Fixture) -> PostmortemInput<'_> {
    PostmortemInput {
        service: "Acme Sites",
        incident: &fixture.incident,
        entries: &fixture.entries,
        site_history: &fixture.sites,
        total_sites: SITES,
        component_history: &fixture.components,
        tz: chrono_tz::America::Los_Angeles,
        until: start() + chrono::Duration::hours(24),
        roles: &[],
    }
}

fn markdown(pm: &Postmortem) -> String {
    match render_markdown(pm, DEFAULT_TEMPLATE) {
        Ok(markdown) => markdown,
        Err(err) => panic!("default template failed: {err}"),
    }
}

/// CPU time this thread has used, in nanoseconds (Linux; `None` elsewhere).
/// Printed next to wall time because the two cores are often shared with
/// builds, which inflates wall time but not CPU time.
fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// Mean wall time and mean CPU time of `f`, in milliseconds.
struct Mean {
    wall_ms: f64,
    cpu_ms: Option<f64>,
}

impl std::fmt::Display for Mean {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.1} ms", self.wall_ms)?;
        if let Some(cpu) = self.cpu_ms {
            write!(f, " (CPU {cpu:.1} ms)")?;
        }
        Ok(())
    }
}

fn print_means(fixture: &Fixture) {
    const RUNS: u32 = 50;
    let pm = build(&input(fixture));
    let bytes = markdown(&pm).len();
    let total = mean(RUNS, || {
        black_box(markdown(&build(&input(fixture))));
    });
    let build_only = mean(RUNS, || {
        black_box(build(&input(fixture)));
    });
    let render_only = mean(RUNS, || {
        black_box(markdown(&pm));
    });
    let json_only = mean(RUNS, || {
        black_box(render_json(&pm));
    });
    let verdict = if total.wall_ms <= TARGET.as_secs_f64() * 1e3 {
        "within"
    } else {
        "OVER"
    };
    println!(
        "export, {ENTRIES} timeline entries, {SITES} sites ({bytes} bytes of Markdown), mean of \
         {RUNS} runs: build + Markdown {total}, {verdict} the {} ms target; build {build_only}, \
         Markdown {render_only}, JSON {json_only}",
        TARGET.as_millis()
    );
}

fn mean(runs: u32, mut f: impl FnMut()) -> Mean {
    let cpu_before = thread_cpu_ns();
    let began = Instant::now();
    for _ in 0..runs {
        f();
    }
    let wall = began.elapsed() / runs;
    let cpu_ms = match (cpu_before, thread_cpu_ns()) {
        (Some(before), Some(after)) => {
            Some(after.saturating_sub(before) as f64 / 1e6 / f64::from(runs))
        }
        _ => None,
    };
    Mean {
        wall_ms: wall.as_secs_f64() * 1e3,
        cpu_ms,
    }
}

fn export(c: &mut Criterion) {
    let fixture = fixture();
    // `cargo bench` passes `--bench`; `cargo test --all-targets` does not, and
    // there (unoptimized) criterion only checks that each function runs.
    if std::env::args().any(|a| a == "--bench") {
        print_means(&fixture);
    }
    let mut group = c.benchmark_group("export");
    group.sample_size(20);
    group.bench_function("build + markdown, 10k entries", |b| {
        b.iter(|| black_box(markdown(&build(&input(&fixture)))));
    });
    group.bench_function("build + json, 10k entries", |b| {
        b.iter(|| black_box(render_json(&build(&input(&fixture)))));
    });
    group.finish();
}

criterion_group!(benches, export);
criterion_main!(benches);
