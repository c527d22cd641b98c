//! Malformed reports and templates give line-numbered errors, never a panic.

use crate::support::report::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use warroom::report::{DEFAULT_TEMPLATE, ImportError, build, parse_report, render_markdown};

fn error(text: &str) -> ImportError {
    parse_report(text).expect_err("malformed report accepted")
}

#[test]
fn malformed_reports_name_the_line_and_what_was_expected() {
    let e = error("");
    assert_eq!((e.line, e.found.as_str()), (1, "end of report"));
    assert!(e.expected.contains("title"), "{e}");

    let e = error("Title\nNot the report line\nResolved\n");
    assert_eq!(e.line, 2);
    assert!(e.expected.contains("Incident Report for"), "{e}");
    assert_eq!(e.found, "\"Not the report line\"");

    let e = error("Title\nIncident Report for X\n");
    assert_eq!((e.line, e.found.as_str()), (3, "end of report"));
    assert!(e.expected.contains("`Postmortem` or a status line"), "{e}");

    let e = error(
        "Title\nIncident Report for X\nResolvd\nAll good.\nPosted Sep 12, 2017 - 13:42 UTC\n",
    );
    assert_eq!(e.line, 3);
    assert!(
        e.expected
            .contains("Investigating, Identified, Update, Monitoring or Resolved")
    );

    let e = error("Title\nIncident Report for X\nResolved\nAll good.\n");
    assert_eq!((e.line, e.found.as_str()), (5, "end of report"));
    assert!(e.expected.contains("update that starts on line 3"), "{e}");

    let e = error(
        "Title\nIncident Report for X\nResolved\nAll good.\nPosted Sep 31, 2017 - 13:42 UTC\n",
    );
    assert_eq!(e.line, 5);
    assert!(
        e.expected.contains("Posted <Mon DD, YYYY - HH:MM> UTC"),
        "{e}"
    );

    let e = error(
        "T\nIncident Report for X\nResolved\nok\nPosted Sep 12, 2017 - 13:42 UTC\nThis incident affected: A, B.\nstray\n",
    );
    assert_eq!(e.line, 7);
    assert!(e.expected.contains("end of the report"), "{e}");

    let e = error(
        "T\nIncident Report for X\nResolved\nok\nPosted Sep 12, 2017 - 13:42 UTC\nThis incident affected: A, , B.\n",
    );
    assert_eq!(e.line, 6);

    let e = error("T\nIncident Report for X\nPostmortem\n\nWe learned things.\n");
    assert_eq!(e.line, 6);
    assert!(e.expected.contains("closing the postmortem"), "{e}");

    let e = error(
        "T\nIncident Report for X\nResolved\nok\nPosted Sep 12, 2017 - 13:42 UTC\nnonsense\n",
    );
    assert_eq!(e.line, 6);
    assert!(e.expected.contains("This incident affected"), "{e}");
    assert_eq!(
        e.to_string(),
        "line 6: expected a status line (Investigating, Identified, Update, Monitoring or \
         Resolved) or `This incident affected: …`, found \"nonsense\""
    );
}

/// Ok, or an error whose line lies within the text (or just past its end).
fn assert_sane(text: &str, context: &str) {
    if let Err(e) = parse_report(text) {
        let lines = text.lines().count();
        assert!(
            e.line >= 1 && e.line <= lines + 1,
            "{context}: line {} outside 1..={} ({e})",
            e.line,
            lines + 1
        );
        assert!(!e.expected.is_empty() && !e.found.is_empty(), "{context}");
    }
}

fn fuzz_corpus() -> Vec<(String, String)> {
    let mut corpus: Vec<(String, String)> = ["switch-2017.md", "db-2020.md", "multiline.md"]
        .iter()
        .map(|name| (name.to_string(), fixture(name)))
        .collect();
    corpus.push((
        "switch-2017.export.md".to_string(),
        fixture("switch-2017.export.md"),
    ));
    corpus
}

#[test]
fn every_truncation_parses_or_fails_with_a_sane_line() {
    for (name, text) in fuzz_corpus() {
        for cut in (0..=text.len()).filter(|i| text.is_char_boundary(*i)) {
            assert_sane(&text[..cut], &format!("{name} cut at byte {cut}"));
        }
    }
}

const TRICKY_LINES: [&str; 10] = [
    "Postmortem",
    "Update",
    "Resolved",
    "Posted Sep 12, 2017 - 13:42 UTC",
    "Posted Feb 30, 2019 - 25:61 UTC",
    "Posted  UTC",
    "This incident affected: ",
    "This incident affected: A, B.",
    "Incident Report for ",
    "",
];

#[test]
fn seeded_mutations_never_panic() {
    let mut rng = ChaCha8Rng::seed_from_u64(2017);
    for (name, text) in fuzz_corpus() {
        for round in 0..300 {
            let mutated = mutate(&text, &mut rng);
            assert_sane(&mutated, &format!("{name} mutation {round}"));
        }
    }
}

fn mutate(text: &str, rng: &mut ChaCha8Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for _ in 0..rng.random_range(1..4) {
        let len = lines.len().max(1);
        let index = rng.random_range(0..len);
        match rng.random_range(0..6) {
            0 if !lines.is_empty() => {
                lines.remove(index);
            }
            1 if !lines.is_empty() => {
                let copy = lines[index].clone();
                lines.insert(index, copy);
            }
            2 if lines.len() > 1 => {
                let other = rng.random_range(0..lines.len());
                lines.swap(index, other);
            }
            3 => {
                let line = TRICKY_LINES[rng.random_range(0..TRICKY_LINES.len())];
                lines.insert(index.min(lines.len()), line.to_string());
            }
            _ => {
                // Random bytes anywhere, read back leniently as UTF-8.
                let mut bytes = lines.join("\n").into_bytes();
                for _ in 0..rng.random_range(1..8) {
                    if bytes.is_empty() {
                        break;
                    }
                    let at = rng.random_range(0..bytes.len());
                    bytes[at] = rng.random();
                }
                lines = String::from_utf8_lossy(&bytes)
                    .lines()
                    .map(str::to_string)
                    .collect();
            }
        }
    }
    lines.join("\n")
}

fn postmortem() -> warroom::report::Postmortem {
    let incident = incident_2017();
    let entries = entries_2017();
    build(&input_2017(&incident, &entries, &[], &[], chrono_tz::UTC))
}

#[test]
fn a_template_error_on_line_7_is_reported_on_line_7() {
    let undefined =
        "{{ title }}\nIncident Report for {{ service }}\n\n\n\n\n{{ no_such_variable }}\n";
    let e = render_markdown(&postmortem(), undefined).unwrap_err();
    assert_eq!(e.line, Some(7), "{e}");
    assert!(e.message.contains("undefined"), "{e}");

    let syntax = "{{ title }}\n\n\n\n\n\n{% for x in %}\n{% endfor %}\n";
    let e = render_markdown(&postmortem(), syntax).unwrap_err();
    assert_eq!(e.line, Some(7), "{e}");
    assert!(e.message.contains("syntax error"), "{e}");
    assert!(
        e.to_string()
            .starts_with("template error on line 7: syntax error")
    );

    let unclosed = "{{ title }}\n{% if ongoing %}\nstill going\n";
    assert!(render_markdown(&postmortem(), unclosed).is_err());

    let filter = "\n\n\n\n\n\n{{ title|no_such_filter }}\n";
    assert_eq!(
        render_markdown(&postmortem(), filter).unwrap_err().line,
        Some(7)
    );
}

#[test]
fn a_custom_template_sees_the_same_data() {
    let custom = "{{ title }} ({{ metrics.rows[0].name }}: {{ metrics.rows[0].minutes|minutes }}, \
                  {{ impact.percent_affected|pct }})\n";
    assert_eq!(
        render_markdown(&postmortem(), custom).unwrap(),
        "Sites offline after a network switch failure (Time to detect: 1 minute, 0.0%)\n"
    );
    assert!(render_markdown(&postmortem(), DEFAULT_TEMPLATE).is_ok());
}
