//! Fix first, declare second (issue 14): `db-master-2020` played to the end
//! with no incident open, then declared with its start back-dated to the
//! first alert. The exported postmortem tells the real impact and measures
//! the response from the start of impact, not from the declaration.

use warroom::cli::{Declare, DrillOptions, Responder, run_drill};
use warroom::sim::Scenario;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn db_master_2020_declared_after_mitigation_reports_the_real_impact() {
    let scenario = Scenario::builtin("db-master-2020").expect("builtin scenario");
    let options = DrillOptions {
        seed: 7,
        declare: Declare::AfterMitigation,
        ..DrillOptions::new(Responder::Script)
    };
    let outcome = run_drill(&scenario, &options)
        .await
        .expect("the drill runs to the end");
    let card = &outcome.scorecard;
    assert!(card.sites_down_at_end.is_empty(), "{card:?}");
    let pm: serde_json::Value =
        serde_json::from_str(&outcome.postmortem_json).expect("the postmortem is JSON");
    let md = &outcome.postmortem_md;

    let impact = &pm["impact"];
    let affected = impact["sites_affected"].as_u64().expect("sites_affected");
    let site_minutes = impact["site_minutes_down"].as_u64().expect("site minutes");
    assert!(affected > 0, "no site down in {impact}\n{md}");
    assert!(site_minutes > 0, "no site-minutes in {impact}\n{md}");
    assert_eq!(
        affected,
        u64::from(card.failures[0].sites_down),
        "the postmortem and the scorecard count the same stuck sites"
    );
    assert!(
        md.contains(&format!("Sites affected: {affected} of ")),
        "{md}"
    );
    assert!(!md.contains("no site was recorded down"), "{md}");

    // Measured from the start of impact (the first alert), not from the
    // declaration at the end: detected at the start, mitigated when the
    // restart ended, both on the record as they happened.
    let started = pm["started_at"].as_str().expect("started_at");
    let rows = pm["metrics"]["rows"].as_array().expect("metric rows");
    let row = |key: &str| {
        rows.iter()
            .find(|r| r["key"] == key)
            .unwrap_or_else(|| panic!("no {key} in {rows:?}"))
    };
    assert_eq!(row("time_to_detect")["minutes"].as_i64(), Some(0), "{md}");
    assert_eq!(row("time_to_detect")["reached_at"].as_str(), Some(started));
    let mitigate = row("time_to_mitigate")["minutes"]
        .as_i64()
        .unwrap_or_else(|| panic!("time to mitigate not recorded\n{md}"));
    assert!(mitigate > 0, "mitigated after {mitigate} minutes\n{md}");
    let restart = card
        .actions
        .iter()
        .find(|a| a.kind == "restart_sites")
        .expect("the restart ran");
    let fault_at = card.failures[0].fault_at_s;
    let finished = restart.finished_s.expect("the restart ended");
    // The start is the first alert, after the fault and before the restart.
    assert!(
        (mitigate as u64) * 60 <= finished - fault_at + 60,
        "mitigated {mitigate} min after the start, yet the restart ended {} s after the fault",
        finished - fault_at
    );

    // The restart and the detection are in the narrative's timeline.
    let what_happened: Vec<&str> = pm["what_happened"]
        .as_array()
        .expect("what_happened")
        .iter()
        .filter_map(|l| l["text"].as_str())
        .collect();
    assert!(
        what_happened
            .iter()
            .any(|t| t.starts_with("restart_sites: started by drill")),
        "{what_happened:#?}"
    );
    assert!(
        what_happened
            .iter()
            .any(|t| t.starts_with("restart_sites: succeeded")),
        "{what_happened:#?}"
    );
    assert!(md.contains("restart_sites: succeeded"), "{md}");
}
