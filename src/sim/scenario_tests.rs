use super::*;
use crate::sim::DEMO_FLEET;

fn demo() -> FleetSpec {
    FleetSpec::parse("demo.toml", DEMO_FLEET).unwrap()
}

const ONE_STEP: &str = r#"
name = "t"
[[step]]
at = "+0m"
fault = "server_down"
target = "app-01"
"#;

fn parse_err(text: &str) -> ScenarioError {
    Scenario::parse("t.toml", text).unwrap_err()
}

#[test]
fn both_builtins_parse_and_name_only_demo_fleet_ids() {
    let spec = demo();
    for name in BUILTIN_SCENARIOS {
        let scenario = Scenario::builtin(name).unwrap_or_else(|| panic!("{name} does not parse"));
        assert_eq!(scenario.name, name);
        assert!(scenario.start.is_some());
        assert!(!scenario.responses.is_empty());
        scenario.check_against(&spec).unwrap();
    }
    assert!(Scenario::builtin("nope").is_none());
}

#[test]
fn switch_2017_follows_the_real_outage() {
    let s = Scenario::builtin("switch-2017").unwrap();
    assert_eq!(s.start.unwrap().to_rfc3339(), "2017-09-11T22:15:00+00:00");
    let fault_at = |kind: FaultKind, target: &str| {
        s.steps
            .iter()
            .find(|step| {
                step.action
                    == StepAction::Fault(SimFault {
                        kind,
                        target: target.to_string(),
                    })
            })
            .map(|step| step.at.duration().as_secs() / 60)
    };
    assert_eq!(
        fault_at(FaultKind::CacheFailoverRegression, "cache-1"),
        Some(0)
    );
    assert_eq!(fault_at(FaultKind::ServerDown, "app-04"), Some(0));
    assert_eq!(fault_at(FaultKind::ServerFlap, "app-05"), Some(45));
    assert_eq!(fault_at(FaultKind::ServerDown, "app-06"), Some(80));
    assert_eq!(fault_at(FaultKind::CacheNodeDown, "cache-1"), Some(165));
    assert_eq!(fault_at(FaultKind::Recover, "app-05"), Some(170));
    let cache_failover = s
        .responses
        .iter()
        .find(|r| r.plan == ResponsePlan::CacheFailover)
        .unwrap();
    assert_eq!(cache_failover.at.duration().as_secs(), 135 * 60);
    let recycle = s
        .responses
        .iter()
        .find(|r| r.plan == ResponsePlan::RecycleWeb)
        .unwrap();
    assert_eq!(recycle.at.duration().as_secs(), 180 * 60);
    assert_eq!(recycle.target, None);
}

#[test]
fn db_master_2020_kills_the_writer_at_three_minutes() {
    let s = Scenario::builtin("db-master-2020").unwrap();
    assert_eq!(s.start.unwrap().to_rfc3339(), "2020-04-01T13:00:00+00:00");
    let faults: Vec<_> = s
        .steps
        .iter()
        .filter_map(|step| match &step.action {
            StepAction::Fault(f) => Some((step.at.as_str(), f.kind, f.target.as_str())),
            StepAction::Note => None,
        })
        .collect();
    assert_eq!(
        faults,
        vec![
            ("+3m", FaultKind::DbMasterDown, "db-1"),
            ("+130m", FaultKind::Recover, "db-1"),
        ]
    );
    assert!(
        s.steps
            .iter()
            .any(|st| st.at.as_str() == "+103m" && st.description.contains("14:43"))
    );
    assert_eq!(s.responses[0].plan, ResponsePlan::RestartSites);
}

#[test]
fn a_bad_offset_names_file_step_and_field() {
    let text = ONE_STEP.replace("+0m", "45m");
    let err = parse_err(&format!("{text}\n[[step]]\nat = \"+5x\"\nnote = \"n\"\n"));
    assert_eq!(err.field, "step[0].at");
    assert!(
        err.to_string().starts_with("t.toml: step[0].at: '45m'"),
        "{err}"
    );
    let err = parse_err(&format!(
        "{ONE_STEP}\n[[step]]\nat = \"+5x\"\nnote = \"n\"\n"
    ));
    assert_eq!(err.field, "step[1].at");
    assert!(err.problem.contains("unknown unit 'x'"), "{err}");
}

#[test]
fn an_unknown_fault_names_the_allowed_ones() {
    let err = parse_err(&ONE_STEP.replace("server_down", "flap"));
    assert_eq!(err.field, "step[0].fault");
    assert!(err.problem.contains("unknown fault 'flap'"), "{err}");
    for kind in FaultKind::ALL {
        assert!(err.problem.contains(kind.as_str()), "{err}");
    }
}

#[test]
fn unknown_fields_are_refused() {
    let err = parse_err(&format!("{ONE_STEP}severity = \"high\"\n"));
    assert_eq!(err.field, "step[0].severity");
    assert!(err.problem.contains("unknown field"), "{err}");
    let err = parse_err(&ONE_STEP.replace("name = \"t\"", "name = \"t\"\nspeed = 3"));
    assert_eq!(err.field, "speed");
    let err = parse_err(
        "name = \"t\"\n[[response]]\nat = \"+1m\"\nplan = \"recycle_web\"\nwhen = \"x\"\n",
    );
    assert_eq!(err.field, "response[0].when");
}

#[test]
fn step_shape_errors_are_specific() {
    let err = parse_err(&ONE_STEP.replace("target = \"app-01\"", ""));
    assert_eq!(err.field, "step[0].target");
    let err = parse_err(&format!("{ONE_STEP}note = \"n\"\n"));
    assert!(err.problem.contains("either a fault or a note"), "{err}");
    let err = parse_err("name = \"t\"\n[[step]]\nat = \"+1m\"\n");
    assert_eq!(err.field, "step[0].fault");
    let err = parse_err(&ONE_STEP.replace("at = \"+0m\"", "at = 5"));
    assert_eq!(err.field, "step[0].at");
    assert!(err.problem.contains("must be a string"), "{err}");
    let err = parse_err("description = \"no name\"\n");
    assert_eq!(err.field, "name");
    let err = parse_err("name = \"t\"\nstart = \"yesterday\"\n");
    assert_eq!(err.field, "start");
    let err = parse_err("name = \"t\"\nstep = 3\n");
    assert_eq!(err.field, "step");
    let err = parse_err("name = \"t\"\n[[step]\n");
    assert!(err.field.starts_with("line "), "{err}");
}

#[test]
fn response_errors_are_specific() {
    let err = parse_err("name = \"t\"\n[[response]]\nat = \"+1m\"\nplan = \"panic\"\n");
    assert_eq!(err.field, "response[0].plan");
    assert!(
        err.problem.contains("evacuate_server") && err.problem.contains("failback"),
        "{err}"
    );
    let err = parse_err("name = \"t\"\n[[response]]\nat = \"+1m\"\nplan = \"evacuate_server\"\n");
    assert_eq!(err.field, "response[0].target");
    let ok = Scenario::parse(
        "t.toml",
        "name = \"t\"\n[[response]]\nat = \"+1m\"\nplan = \"restart_sites\"\n",
    )
    .unwrap();
    assert_eq!(ok.responses[0].target, None);
}

#[test]
fn check_against_names_the_step_with_a_bad_target() {
    let spec = demo();
    let s = Scenario::parse("t.toml", &ONE_STEP.replace("app-01", "app-99")).unwrap();
    let err = s.check_against(&spec).unwrap_err();
    assert_eq!(err.field, "step[0].target");
    assert!(err.problem.contains("unknown server 'app-99'"), "{err}");
    let s = Scenario::parse(
        "t.toml",
        &ONE_STEP.replace("server_down", "cache_node_down"),
    )
    .unwrap();
    let err = s.check_against(&spec).unwrap_err();
    assert!(
        err.problem
            .contains("'app-01' has role app; cache_node_down needs a cache node"),
        "{err}"
    );
    let s = Scenario::parse(
        "t.toml",
        "name = \"t\"\n[[response]]\nat = \"+1m\"\nplan = \"recycle_web\"\ntarget = \"db-1\"\n",
    )
    .unwrap();
    assert_eq!(
        s.check_against(&spec).unwrap_err().field,
        "response[0].target"
    );
}

#[test]
fn load_prefers_builtins_then_reads_a_path() {
    assert_eq!(Scenario::load("switch-2017").unwrap().name, "switch-2017");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    std::fs::write(&path, ONE_STEP).unwrap();
    let path = path.to_string_lossy().to_string();
    let s = Scenario::load(&path).unwrap();
    assert_eq!(s.file, path);
    assert_eq!(s.steps.len(), 1);
    let err = Scenario::load("no-such-scenario").unwrap_err();
    assert!(err.problem.contains("switch-2017, db-master-2020"), "{err}");
}
