//! Scope of impact from a scripted site history whose downtimes are known.

use crate::support::report::utc;
use chrono::Duration;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use warroom::model::{ComponentKind, HealthSample, HealthState, Timestamp};
use warroom::report::{TimeWindow, impact};

/// 10:00 UTC on 2020-04-01 plus `minutes` (negative: before).
fn at(minutes: i64) -> Timestamp {
    utc(2020, 4, 1, 10, 0) + Duration::minutes(minutes)
}

fn site(id: &str, minute: i64, state: HealthState, error_rate: f64) -> HealthSample {
    HealthSample {
        component_id: id.to_string(),
        component: ComponentKind::Site,
        at: at(minute),
        state,
        latency_ms: Some(40.0),
        error_rate,
    }
}

/// The window is 10:00–12:00 (minutes 0–120).
fn scripted_history() -> Vec<HealthSample> {
    use HealthState::*;
    vec![
        // s-a: down 10 → 40 (30 min), flapping 60 → 80 (20 min): 50 minutes.
        site("s-a", 0, Up, 0.0),
        site("s-a", 10, Down, 1.0),
        site("s-a", 40, Up, 0.0),
        site("s-a", 60, Flapping, 0.5),
        site("s-a", 80, Up, 0.0),
        // s-b: down since before the window, up at 5: 5 minutes inside it.
        site("s-b", -30, Down, 1.0),
        site("s-b", 5, Up, 0.0),
        // s-c: flapping from 110 to the end of the window: 10 minutes.
        site("s-c", 110, Flapping, 0.4),
        // s-d: failing requests (degraded, errors) 30 → 45, never down.
        site("s-d", 30, Degraded, 0.1),
        site("s-d", 45, Up, 0.0),
        // s-e: slow but no errors, 35 → 50: degraded, not a failing code path.
        site("s-e", 35, Degraded, 0.0),
        site("s-e", 50, Up, 0.0),
        // s-f: down only after the window.
        site("s-f", 150, Down, 1.0),
        // s-g: failing 40 → 55, overlapping s-d's window.
        site("s-g", 40, Degraded, 0.3),
        site("s-g", 55, Up, 0.0),
        // s-h: failing 100 → 104, a separate window.
        site("s-h", 100, Degraded, 0.2),
        site("s-h", 104, Up, 0.0),
    ]
}

#[test]
fn known_downtimes_give_known_figures() {
    let result = impact(&scripted_history(), 40, at(0), at(120));
    // s-a, s-b, s-c were down; 3 of 40 = 7.5%.
    assert_eq!(result.sites_affected, 3);
    assert_eq!(result.total_sites, 40);
    assert_eq!(result.percent_affected, 7.5);
    assert_eq!(result.longest_downtime_minutes, 50);
    assert_eq!(result.longest_downtime_site.as_deref(), Some("s-a"));
    // 50 + 5 + 10.
    assert_eq!(result.site_minutes_down, 65);
    // s-d, s-e, s-g, s-h.
    assert_eq!(result.sites_degraded_only, 4);
    assert_eq!(
        result.failing_windows,
        vec![
            TimeWindow {
                from: at(30),
                to: at(55)
            },
            TimeWindow {
                from: at(100),
                to: at(104)
            },
        ]
    );
    assert_eq!(result.failing_windows[0].minutes(), 25);
}

#[test]
fn sample_order_does_not_change_the_result() {
    let expected = impact(&scripted_history(), 40, at(0), at(120));
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for _ in 0..20 {
        let mut shuffled = scripted_history();
        shuffled.shuffle(&mut rng);
        assert_eq!(impact(&shuffled, 40, at(0), at(120)), expected);
    }
}

#[test]
fn percentages_have_one_decimal() {
    let down = |id: &str| site(id, 0, HealthState::Down, 1.0);
    assert_eq!(impact(&[down("a")], 3, at(0), at(1)).percent_affected, 33.3);
    assert_eq!(
        impact(&[down("a"), down("b")], 3, at(0), at(1)).percent_affected,
        66.7
    );
    assert_eq!(
        impact(&[down("a")], 400, at(0), at(1)).percent_affected,
        0.3
    );
}

#[test]
fn a_tie_for_longest_downtime_names_the_lowest_id() {
    let history = [
        site("s-2", 0, HealthState::Down, 1.0),
        site("s-1", 0, HealthState::Down, 1.0),
    ];
    let result = impact(&history, 2, at(0), at(10));
    assert_eq!(result.longest_downtime_site.as_deref(), Some("s-1"));
    assert_eq!(result.site_minutes_down, 20);
}
