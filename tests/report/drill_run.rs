//! Both drills of DESIGN.md §7 played to the end at high speed through the
//! library entry point `warroom drill` uses: every site healthy at the end,
//! and the scorecard within bounds derived from the probe settings.

use warroom::cli::run_drill;
use warroom::model::FaultKind;
use warroom::report::Scorecard;
use warroom::sim::Scenario;

const SPEED: f64 = 1200.0;
const SEED: u64 = 7;
/// Demo fleet probe settings (assets/fleets/demo.toml).
const INTERVAL_S: u64 = 5;
const FALL: u64 = 3;
/// One sim tick: the sim driver steps every 50 ms of real time.
const TICK_S: u64 = (SPEED as u64) / 20;
/// A flapping server is away 40 s of every 120 s, from a seeded phase: its
/// first outage may start up to one period after the fault.
const FLAP_PERIOD_S: u64 = 120;

async fn play(name: &str) -> Scorecard {
    let scenario = Scenario::builtin(name).expect("builtin scenario");
    run_drill(scenario, SEED, SPEED, true)
        .await
        .expect("the drill runs to the end")
}

fn detect_bound(kind: FaultKind) -> u64 {
    let bound = FALL * INTERVAL_S + INTERVAL_S + TICK_S;
    match kind {
        FaultKind::ServerFlap => bound + FLAP_PERIOD_S,
        _ => bound,
    }
}

fn assert_within_bounds(card: &Scorecard) {
    assert!(
        card.sites_down_at_end.is_empty(),
        "still down: {:?}",
        card.sites_down_at_end
    );
    assert!(!card.failures.is_empty());
    for failure in &card.failures {
        let detect = failure
            .detect_s
            .unwrap_or_else(|| panic!("{failure:?} was never detected"));
        assert!(
            detect <= detect_bound(failure.fault),
            "{} {} detected after {detect}s",
            failure.fault.as_str(),
            failure.target
        );
        if failure.sites_affected > 0 {
            let took = failure
                .mitigate_s
                .unwrap_or_else(|| panic!("{failure:?} not mitigated"));
            // The sites are back once the action that moved or restarted
            // them ended (give or take a sim step for the last site's
            // health to be recorded).
            let ended = card
                .actions
                .iter()
                .filter(|a| a.started_s >= failure.fault_at_s)
                .filter(|a| match failure.fault {
                    FaultKind::ServerDown | FaultKind::ServerFlap => {
                        a.target.as_deref() == Some(failure.target.as_str())
                    }
                    _ => true,
                })
                .find_map(|a| a.finished_s)
                .unwrap_or_else(|| panic!("no action answered {failure:?}"));
            assert!(
                failure.fault_at_s + took <= ended + TICK_S,
                "{failure:?} mitigated only at +{}s, its action ended at +{ended}s",
                failure.fault_at_s + took
            );
        }
    }
    for action in &card.actions {
        let took = action
            .took_s()
            .unwrap_or_else(|| panic!("{action:?} never finished"));
        // The API's timestamps move with the sim clock's step.
        assert!(
            took <= action.deadline_s + TICK_S,
            "{action:?} overran its plan's deadline"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switch_2017_drill_ends_with_every_site_up() {
    let card = play("switch-2017").await;
    println!("{}", warroom::report::render_table(&card));
    assert_within_bounds(&card);
    // Three servers lost one after the other, then the cache node: the
    // evacuations took promoted spares, and recycling the web servers right
    // after the cache failover left the old node's loss without impact.
    let targets: Vec<&str> = card.failures.iter().map(|f| f.target.as_str()).collect();
    assert_eq!(targets, ["app-04", "app-05", "app-06", "cache-1"]);
    for failure in &card.failures[..3] {
        assert_eq!(failure.sites_affected, 17, "{failure:?}");
    }
    assert_eq!(card.failures[3].sites_affected, 0);
    assert!(card.actions.iter().any(|a| a.kind == "promote_spare"));
    assert!(card.actions.iter().any(|a| a.kind == "recycle_web"));
    beats_the_original(&card);
    insta::assert_snapshot!("switch_2017_scorecard", normalized(&card));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn db_master_2020_drill_ends_with_every_site_up() {
    let card = play("db-master-2020").await;
    println!("{}", warroom::report::render_table(&card));
    assert_within_bounds(&card);
    assert_eq!(card.failures.len(), 1);
    assert!(
        card.failures[0].sites_affected > 0,
        "stuck backends took sites down"
    );
    assert!(card.actions.iter().any(|a| a.kind == "restart_sites"));
    beats_the_original(&card);
    insta::assert_snapshot!("db_master_2020_scorecard", normalized(&card));
}

/// Every failure with an original figure was mitigated faster than in reality.
fn beats_the_original(card: &Scorecard) {
    for failure in &card.failures {
        if let (Some(original), Some(took)) = (&failure.original, failure.mitigate_s) {
            assert!(took < original.minutes * 60, "{failure:?}");
        }
    }
}

/// The `--json` scorecard with what depends on real-time pacing taken out:
/// responses start at the first sim tick at or after their offset (a tick is
/// `SPEED / 20` sim seconds), so mitigation times, site-minutes and action
/// times move by a tick or two from run to run. What stays is exact:
/// faults, detection times (probe timing is on the sim clock), the sites
/// affected, the actions run and their outcome, and whether each failure
/// was mitigated and beat the original.
fn normalized(card: &Scorecard) -> String {
    let mut doc = serde_json::to_value(card).expect("the scorecard serializes");
    let object = doc.as_object_mut().expect("an object");
    object.remove("duration_s");
    for failure in object["failures"].as_array_mut().expect("failures") {
        let failure = failure.as_object_mut().expect("a failure");
        let mitigate = failure.remove("mitigate_s").and_then(|v| v.as_u64());
        let original = failure["original"]["minutes"].as_u64();
        failure.insert("mitigated".into(), mitigate.is_some().into());
        failure.insert(
            "faster_than_original".into(),
            match (mitigate, original) {
                (Some(took), Some(minutes)) => (took < minutes * 60).into(),
                _ => serde_json::Value::Null,
            },
        );
        failure.remove("site_minutes_down");
        failure.remove("site_minutes_degraded");
    }
    for action in object["actions"].as_array_mut().expect("actions") {
        let action = action.as_object_mut().expect("an action");
        action.remove("started_s");
        action.remove("finished_s");
    }
    let totals = object["totals"].as_object_mut().expect("totals");
    totals.remove("mitigate_s");
    totals.remove("site_minutes_down");
    totals.remove("site_minutes_degraded");
    serde_json::to_string_pretty(&doc).expect("json")
}
