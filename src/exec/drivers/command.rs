//! Running one command of the `exec` driver or a hook: placeholders
//! substituted per argument (no shell), a timeout after which the child is
//! killed, and its output captured, bounded and cleaned for display.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

use super::Failed;

/// Placeholder values by name (`site`, `from`, …); names not here become "".
pub(in crate::exec) type Vars = BTreeMap<&'static str, String>;

/// Output kept per stream before the rest is only counted.
const CAPTURE_BYTES: usize = 64 * 1024;
/// Characters of output kept for the action (head and tail when longer).
const OUTPUT_CHARS: usize = 4096;
/// How long a killed child is given to be reaped.
const REAP_WAIT: Duration = Duration::from_secs(2);

/// The command with every `{name}` placeholder of every argument replaced by
/// its value; each argument stays one argument whatever the value holds.
pub(in crate::exec) fn substitute(template: &[String], vars: &Vars) -> Vec<String> {
    template
        .iter()
        .map(|arg| {
            let mut out = String::with_capacity(arg.len());
            let mut rest = arg.as_str();
            while let Some(start) = rest.find('{') {
                out.push_str(&rest[..start]);
                let after = &rest[start + 1..];
                let name = after
                    .find('}')
                    .map(|end| &after[..end])
                    .filter(|name| crate::model::ExecutorSpec::PLACEHOLDERS.contains(name));
                match name {
                    Some(name) => {
                        out.push_str(vars.get(name).map(String::as_str).unwrap_or(""));
                        rest = &after[name.len() + 1..];
                    }
                    None => {
                        out.push('{');
                        rest = after;
                    }
                }
            }
            out.push_str(rest);
            out
        })
        .collect()
}

/// Runs `argv` to completion within `timeout`. `Ok(output)` when it exits
/// with status 0; otherwise why not, with whatever it printed. The child is
/// killed on timeout, and also when this future is dropped (an abort).
pub(in crate::exec) async fn run_command(
    argv: &[String],
    workdir: Option<&str>,
    timeout: Duration,
) -> Result<Option<String>, Failed> {
    let Some((program, args)) = argv.split_first() else {
        return Err(Failed::new("the command is empty"));
    };
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // The orchestrator's own credentials are none of the runbook's business.
        .env_remove("WARROOM_TOKEN")
        .kill_on_drop(true);
    if let Some(dir) = workdir {
        command.current_dir(dir);
    }
    let mut child = command
        .spawn()
        .map_err(|err| Failed::new(format!("cannot start {program}: {err}")))?;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let finished = tokio::time::timeout(timeout, async {
        tokio::join!(capture(stdout), capture(stderr), child.wait())
    })
    .await;
    match finished {
        Ok((out, err, Ok(status))) => {
            let output = clean_output(&out, &err);
            if status.success() {
                Ok(output)
            } else {
                let why = match status.code() {
                    Some(code) => format!("{program} exited with status {code}"),
                    None => format!("{program} was killed by a signal"),
                };
                Err(Failed { error: why, output })
            }
        }
        Ok((out, err, Err(wait_err))) => Err(Failed {
            error: format!("cannot wait for {program}: {wait_err}"),
            output: clean_output(&out, &err),
        }),
        Err(_) => {
            let _ = child.start_kill();
            let _ = tokio::time::timeout(REAP_WAIT, child.wait()).await;
            Err(Failed::new(format!(
                "{program} did not finish within {} ms and was killed",
                timeout.as_millis()
            )))
        }
    }
}

/// Reads a stream to its end, keeping the first [`CAPTURE_BYTES`]; the rest
/// is read and dropped so the child never blocks on a full pipe.
async fn capture(stream: Option<impl AsyncRead + Unpin>) -> Vec<u8> {
    let Some(mut stream) = stream else {
        return Vec::new();
    };
    let mut kept = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return kept,
            Ok(n) => {
                let room = CAPTURE_BYTES.saturating_sub(kept.len()).min(n);
                kept.extend_from_slice(&chunk[..room]);
            }
        }
    }
}

/// Stdout, then stderr marked as such; `None` when both are empty.
pub(in crate::exec) fn clean_output(stdout: &[u8], stderr: &[u8]) -> Option<String> {
    let out = clean_text(&String::from_utf8_lossy(stdout));
    let err = clean_text(&String::from_utf8_lossy(stderr));
    let text = match (out.trim().is_empty(), err.trim().is_empty()) {
        (true, true) => return None,
        (false, true) => out.trim_end().to_string(),
        (true, false) => format!("[stderr] {}", err.trim_end()),
        (false, false) => format!("{}\n[stderr] {}", out.trim_end(), err.trim_end()),
    };
    Some(bounded(&text))
}

/// Text safe to show in a terminal: escape sequences and control characters
/// other than newline and tab removed.
pub(in crate::exec) fn clean_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters… final byte in @..~
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            continue;
        }
        if c == '\r' {
            continue;
        }
        if !c.is_control() || c == '\n' || c == '\t' {
            out.push(c);
        }
    }
    out
}

/// At most [`OUTPUT_CHARS`] characters: the head and the tail when longer,
/// since the end of a failing command's output is usually where the error is.
pub(in crate::exec) fn bounded(text: &str) -> String {
    let count = text.chars().count();
    if count <= OUTPUT_CHARS {
        return text.to_string();
    }
    let half = OUTPUT_CHARS / 2;
    let head: String = text.chars().take(half).collect();
    let tail: String = text.chars().skip(count - half).collect();
    format!("{head}\n… ({} characters cut) …\n{tail}", count - 2 * half)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&'static str, &str)]) -> Vars {
        pairs.iter().map(|(k, v)| (*k, (*v).to_string())).collect()
    }

    #[test]
    fn placeholders_are_replaced_inside_each_argument() {
        let template: Vec<String> = [
            "./move.sh",
            "{site}",
            "--to={to}",
            "{node}",
            "{\"a\":1}",
            "{nope}",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let argv = substitute(
            &template,
            &vars(&[("site", "site-001; rm -rf /"), ("to", "fo-1")]),
        );
        assert_eq!(
            argv,
            [
                "./move.sh",
                "site-001; rm -rf /",
                "--to=fo-1",
                "",
                "{\"a\":1}",
                "{nope}"
            ]
        );
    }

    #[test]
    fn output_is_cleaned_and_bounded() {
        let text = clean_text("ok\u{1b}[31m red\u{1b}[0m\r\n\u{7}bell\tend");
        assert_eq!(text, "ok red\nbell\tend");
        let long = "x".repeat(10_000);
        let cut = bounded(&long);
        assert!(cut.chars().count() < 4200, "{}", cut.len());
        assert!(cut.contains("characters cut"));
        assert_eq!(clean_output(b"", b"  \n"), None);
        assert_eq!(
            clean_output(b"out\n", b"err\n").as_deref(),
            Some("out\n[stderr] err")
        );
    }

    #[tokio::test]
    async fn a_command_that_fails_reports_its_status_and_output() {
        let argv: Vec<String> = ["sh", "-c", "echo moving; echo broken >&2; exit 3"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let failed = run_command(&argv, None, Duration::from_secs(10))
            .await
            .expect_err("exit 3 fails");
        assert!(failed.error.contains("status 3"), "{}", failed.error);
        assert_eq!(failed.output.as_deref(), Some("moving\n[stderr] broken"));
    }

    #[tokio::test]
    async fn a_command_past_its_timeout_is_killed_quickly() {
        let argv: Vec<String> = ["sleep", "5"].iter().map(|s| s.to_string()).collect();
        let started = std::time::Instant::now();
        let failed = run_command(&argv, None, Duration::from_millis(200))
            .await
            .expect_err("times out");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert!(failed.error.contains("killed"), "{}", failed.error);
    }

    #[tokio::test]
    async fn a_missing_program_is_a_failure_not_a_panic() {
        let argv = vec!["/nonexistent/warroom-runbook".to_string()];
        let failed = run_command(&argv, None, Duration::from_secs(1))
            .await
            .expect_err("cannot start");
        assert!(failed.error.contains("cannot start"), "{}", failed.error);
    }
}
