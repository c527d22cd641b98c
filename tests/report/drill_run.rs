//! Both drills of DESIGN.md §7 played to the end on virtual time through
//! the library entry point `warroom drill` uses, with each responder: every
//! site healthy at the end, the scorecard within bounds derived from the
//! probe settings, and exactly the same scorecard on every run.

use warroom::cli::{DrillOptions, Responder, run_drill};
use warroom::model::FaultKind;
use warroom::report::Scorecard;
use warroom::sim::Scenario;

const SEED: u64 = 7;
/// Demo fleet probe settings (assets/fleets/demo.toml).
const INTERVAL_S: u64 = 5;
const FALL: u64 = 3;
/// A flapping server is away 40 s of every 120 s, from a seeded phase: its
/// first outage may start up to one period after the fault.
const FLAP_PERIOD_S: u64 = 120;

async fn play(name: &str, responder: Responder) -> Scorecard {
    let scenario = Scenario::builtin(name).expect("builtin scenario");
    let options = DrillOptions {
        seed: SEED,
        ..DrillOptions::new(responder)
    };
    let card = run_drill(&scenario, &options)
        .await
        .expect("the drill runs to the end")
        .scorecard;
    println!("{}", warroom::report::render_table(&card));
    card
}

fn detect_bound(kind: FaultKind) -> u64 {
    let bound = FALL * INTERVAL_S + INTERVAL_S;
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
            // The sites are back the moment the action that moved or
            // restarted them ended.
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
                failure.fault_at_s + took <= ended,
                "{failure:?} mitigated only at +{}s, its action ended at +{ended}s",
                failure.fault_at_s + took
            );
        }
    }
    for action in &card.actions {
        let took = action
            .took_s()
            .unwrap_or_else(|| panic!("{action:?} never finished"));
        if let Some(deadline) = action.deadline_s {
            assert!(took <= deadline, "{action:?} overran its plan's deadline");
        }
    }
}

/// Every failure with an original figure was mitigated faster than in reality.
fn beats_the_original(card: &Scorecard) {
    for failure in &card.failures {
        if let (Some(original), Some(took)) = (&failure.original, failure.mitigate_s) {
            assert!(took < original.minutes * 60, "{failure:?}");
        }
    }
}

fn json(card: &Scorecard) -> String {
    serde_json::to_string_pretty(card).expect("the scorecard serializes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switch_2017_drill_ends_with_every_site_up() {
    let card = play("switch-2017", Responder::Script).await;
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
    // Each scripted response starts at its offset exactly: +1m, +46m, +81m.
    let evacuations: Vec<u64> = card
        .actions
        .iter()
        .filter(|a| a.kind == "evacuate_server")
        .map(|a| a.started_s)
        .collect();
    assert_eq!(evacuations, [60, 46 * 60, 81 * 60]);
    beats_the_original(&card);
    insta::assert_snapshot!("switch_2017_scorecard", json(&card));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn db_master_2020_drill_ends_with_every_site_up() {
    let card = play("db-master-2020", Responder::Script).await;
    assert_within_bounds(&card);
    assert_eq!(card.failures.len(), 1);
    assert!(
        card.failures[0].sites_affected > 0,
        "stuck backends took sites down"
    );
    assert!(card.actions.iter().any(|a| a.kind == "restart_sites"));
    beats_the_original(&card);
    insta::assert_snapshot!("db_master_2020_scorecard", json(&card));
}

/// Virtual time makes the record exact: the same seed gives the same
/// scorecard, to the second and the site-minute, however loaded the
/// machine is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drill_gives_the_same_scorecard_on_every_run() {
    let first = play("switch-2017", Responder::Script).await;
    let again = play("switch-2017", Responder::Script).await;
    assert_eq!(json(&first), json(&again));
}

/// `warroom drill` itself: the JSON it prints is the same at any `--speed`,
/// and it says how long it took.
#[test]
fn the_cli_prints_the_same_json_at_any_speed_and_its_wall_time() {
    let run = |speed: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
            .args([
                "drill",
                "db-master-2020",
                "--responder",
                "script",
                "--json",
                "--seed",
                "7",
            ])
            .args(["--speed", speed])
            .output()
            .expect("warroom drill runs");
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(out.status.success(), "{stderr}");
        (String::from_utf8_lossy(&out.stdout).to_string(), stderr)
    };
    let (slow, slow_err) = run("60");
    let (fast, _) = run("3600");
    assert_eq!(slow, fast, "the scorecard does not depend on --speed");
    let card: serde_json::Value = serde_json::from_str(&slow).expect("JSON on stdout");
    assert_eq!(card["responder"], "script");
    assert!(
        slow_err.contains("s of wall time on virtual time"),
        "the wall time is printed: {slow_err}"
    );
}

/// The console responder's reaction time (its default).
const REACTION_S: u64 = 30;
/// Slack DESIGN.md §8 allows from detection to mitigation started.
const MARGIN_S: u64 = 5;

/// Every failure that touched sites was mitigated within `detect + extra`
/// seconds of sim time; prints the cards for the README.
fn assert_mitigated_within(card: &Scorecard, extra_s: u64) {
    assert!(
        card.sites_down_at_end.is_empty(),
        "{}: still down: {:?}",
        card.responder,
        card.sites_down_at_end
    );
    for failure in &card.failures {
        let detect = failure
            .detect_s
            .unwrap_or_else(|| panic!("{failure:?} was never detected"));
        if failure.sites_affected == 0 {
            continue;
        }
        let took = failure
            .mitigate_s
            .unwrap_or_else(|| panic!("{}: {failure:?} not mitigated", card.responder));
        assert!(
            took <= detect + extra_s,
            "{}: {} {} detected after {detect}s, mitigated only after {took}s (allowed {extra_s}s more)",
            card.responder,
            failure.fault.as_str(),
            failure.target
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_autopilot_mitigates_each_failure_within_five_seconds_of_detection() {
    for name in ["switch-2017", "db-master-2020"] {
        let card = play(name, Responder::Autopilot).await;
        assert_mitigated_within(&card, MARGIN_S);
        assert!(
            card.actions.iter().all(|a| a.automatic),
            "no human acted: {:?}",
            card.actions
        );
        assert!(!card.actions.is_empty(), "{name}: the autopilot acted");
        beats_the_original(&card);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_responder_mitigates_within_its_reaction_time_of_detection() {
    for name in ["switch-2017", "db-master-2020"] {
        let card = play(name, Responder::Console).await;
        assert_eq!(card.reaction_s, Some(REACTION_S));
        assert_mitigated_within(&card, REACTION_S + MARGIN_S);
        assert!(card.actions.iter().all(|a| !a.automatic));
        beats_the_original(&card);
    }
}

/// Side by side, the autopilot loses no more site-minutes than the one-key
/// console, and the console no more than the people of the original script.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_responders_rank_as_expected_side_by_side() {
    for name in ["switch-2017", "db-master-2020"] {
        let script = play(name, Responder::Script).await;
        let console = play(name, Responder::Console).await;
        let autopilot = play(name, Responder::Autopilot).await;
        let comparison = warroom::report::Comparison::new(
            name,
            vec![script.clone(), console.clone(), autopilot.clone()],
        );
        println!("{}", warroom::report::render_comparison(&comparison));
        let down = |c: &Scorecard| c.totals.site_minutes_down;
        assert!(down(&autopilot) <= down(&console), "{name}");
        assert!(down(&console) <= down(&script), "{name}");
    }
}
