//! Drills on virtual time: the wall time of `warroom drill` for both seed
//! outages with each responder (the in-process orchestrator started, the
//! scenario played to the end, the scorecard and postmortem collected).
//! Prints the mean and the slowest run of each. Target <= 2 s (DESIGN.md §8).
//!
//! cargo bench --bench drill

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use warroom::cli::{DrillOptions, Responder, run_drill};
use warroom::sim::Scenario;

fn drills(c: &mut Criterion) {
    // `cargo bench` passes `--bench`; under `cargo test --all-targets` each
    // drill is played once, as a smoke test.
    let measuring = std::env::args().any(|a| a == "--bench");
    let runs = if measuring { 5 } else { 0 };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    for name in ["switch-2017", "db-master-2020"] {
        let scenario = Scenario::builtin(name).expect("a built-in scenario");
        for responder in [Responder::Script, Responder::Console, Responder::Autopilot] {
            let options = DrillOptions::new(responder);
            let play = || {
                runtime
                    .block_on(run_drill(&scenario, &options))
                    .expect("the drill runs to the end")
            };
            let first = play();
            assert!(
                first.scorecard.sites_down_at_end.is_empty(),
                "{name} with {}: {:?} still down",
                responder.as_str(),
                first.scorecard.sites_down_at_end
            );
            if !measuring {
                continue;
            }
            let mut samples: Vec<Duration> = (0..runs)
                .map(|_| {
                    let start = Instant::now();
                    play();
                    start.elapsed()
                })
                .collect();
            samples.sort_unstable();
            let mean = samples.iter().sum::<Duration>() / runs as u32;
            println!(
                "drill {name}, {} responder, {} on the sim clock: mean {:.2} s, slowest {:.2} s of wall time (target <= 2 s)",
                responder.as_str(),
                warroom::report::format_duration(first.scorecard.duration_s),
                mean.as_secs_f64(),
                samples[runs - 1].as_secs_f64(),
            );
        }
        if !measuring {
            continue;
        }
        let options = DrillOptions::new(Responder::Script);
        let mut group = c.benchmark_group("drill");
        group.sample_size(10);
        group.bench_function(format!("{name}, script responder"), |b| {
            b.iter(|| {
                runtime
                    .block_on(run_drill(&scenario, &options))
                    .expect("the drill runs")
            });
        });
        group.finish();
    }
}

criterion_group!(benches, drills);
criterion_main!(benches);
