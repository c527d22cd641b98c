//! The console's bars (DESIGN.md §8): one frame at 200x60 with 100k sites,
//! 10k servers and 50k timeline entries (p99 <= 2 ms), and `update` for one
//! health event at that size (<= 50 us). Criterion reports the distributions; a short
//! manual loop prints p50/p99 next to the targets.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use warroom::model::{ComponentKind, HealthState};
use warroom::tui::{Model, Msg, Theme, update, view};

#[path = "../tests/support"]
mod tui_support {
    mod console;
    mod large_model;

    pub use console::health_event;
    pub use large_model::large_model;
}

const SITES: u64 = 100_000;
const WIDTH: u16 = 200;
const HEIGHT: u16 = 60;

fn big_model() -> Model {
    tui_support::large_model(SITES as usize, 10_000, 50_000, WIDTH, HEIGHT)
}

/// A health event for a server on screen, flipping its state, with a new version each time.
fn flip(model: &Model, n: u64) -> Msg {
    let state = if n.is_multiple_of(2) {
        HealthState::Down
    } else {
        HealthState::Up
    };
    tui_support::health_event(
        n as i64,
        model.data.fleet.topology.version + 1,
        ComponentKind::Server,
        "app-0005",
        state,
    )
}

/// A site health event; `version` must rise from call to call.
fn site_flip(version: u64, n: u64) -> Msg {
    let state = if (n / SITES).is_multiple_of(2) {
        HealthState::Down
    } else {
        HealthState::Up
    };
    let id = format!("site-{:05}", (n * 7919) % SITES);
    tui_support::health_event(n as i64, version, ComponentKind::Site, &id, state)
}

fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    (at(0.50), at(0.99))
}

fn frame(c: &mut Criterion) {
    let theme = Theme::default();
    let mut model = big_model();
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("terminal");
    let mut n = 0u64;
    // Each frame follows a change, so the diff and the backend have work too.
    let mut draw_one = |model: &mut Model, terminal: &mut Terminal<TestBackend>| {
        n += 1;
        update(model, flip(model, n));
        model.settle();
        terminal
            .draw(|frame| view::draw(frame, black_box(model), &theme))
            .expect("draw");
    };
    for _ in 0..50 {
        draw_one(&mut model, &mut terminal);
    }
    let samples: Vec<Duration> = (0..2000)
        .map(|_| {
            let start = Instant::now();
            draw_one(&mut model, &mut terminal);
            start.elapsed()
        })
        .collect();
    let (p50, p99) = percentiles(samples);
    println!(
        "console frame 200x60, 100k sites/10k servers/50k entries: p50 {p50:?}, p99 {p99:?} (target p99 <= 2 ms)"
    );

    c.bench_function("console_frame_200x60_100k_sites", |b| {
        b.iter(|| draw_one(&mut model, &mut terminal))
    });
}

fn health_update(c: &mut Criterion) {
    let mut model = big_model();
    let base = model.data.fleet.topology.version;
    let mut n = 0u64;
    let samples: Vec<Duration> = (0..20_000)
        .map(|_| {
            n += 1;
            let msg = site_flip(base + n, n);
            let start = Instant::now();
            black_box(update(&mut model, msg));
            start.elapsed()
        })
        .collect();
    let (p50, p99) = percentiles(samples);
    println!(
        "console update, one health event at 100k sites/10k servers: p50 {p50:?}, p99 {p99:?} (target <= 50 us)"
    );

    c.bench_function("console_update_one_health_event", |b| {
        b.iter_batched(
            || {
                n += 1;
                site_flip(base + n, n)
            },
            |msg| black_box(update(&mut model, msg)),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, frame, health_update);
criterion_main!(benches);
