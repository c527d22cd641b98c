//! `warroom export` and `warroom import`: postmortem drafts out of the API,
//! status-page reports into it.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{CliError, data_dir};
use crate::client::{Client, ClientConfig};
use crate::model::Source;
use crate::report;

/// Where the API is: the flags (or WARROOM_API / WARROOM_TOKEN), else a
/// local `warroom serve` with its generated token.
pub fn api_client(api: &[String], token: Option<String>) -> anyhow::Result<Client> {
    let urls = if api.is_empty() {
        vec!["http://127.0.0.1:7700".to_string()]
    } else {
        api.to_vec()
    };
    let token = match token {
        Some(t) => Some(t),
        None => {
            let path = crate::server::default_token_path(&data_dir()?);
            std::fs::read_to_string(&path)
                .ok()
                .map(|t| t.trim().to_string())
        }
    };
    Ok(Client::new(ClientConfig::new(urls, token))?)
}

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// The incident's id.
    pub incident: i64,
    /// `md` or `json`.
    #[arg(long, default_value = "md", value_parser = ["md", "json"])]
    pub format: String,
    /// Your own Markdown template (minijinja); assets/templates/postmortem.md.j2 is the default.
    #[arg(long)]
    pub template: Option<PathBuf>,
    /// Write here instead of standard output.
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
}

/// `tz`: the narrative's time zone (the global `--tz`); UTC when absent.
pub fn export(client: Client, args: ExportArgs, tz: Option<&str>) -> Result<(), CliError> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let text = runtime.block_on(async {
        let template = match &args.template {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read template {}", path.display()))?,
            ),
            None => None,
        };
        let format = if template.is_some() {
            "json"
        } else {
            args.format.as_str()
        };
        let body = client.postmortem(args.incident, format, tz).await?;
        match (template, args.format.as_str()) {
            (Some(template), "md") => {
                let json: serde_json::Value = serde_json::from_str(&body)
                    .context("the API sent a postmortem that is not JSON")?;
                report::render_markdown_json(&json, &template).map_err(|e| {
                    let path = args.template.as_deref().unwrap_or(Path::new("template"));
                    anyhow::anyhow!("{}: {e}", path.display())
                })
            }
            _ => Ok(body),
        }
    })?;
    match &args.output {
        Some(path) => {
            std::fs::write(path, &text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}

pub fn import(client: Client, file: &Path) -> Result<(), CliError> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let parsed =
        report::parse_report(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let (incident, entries) = report::imported_to_entries(&parsed);
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let (id, count) = runtime.block_on(async {
        let created = client.create_incident(&incident).await?;
        // Keys derived from the file make a re-run after a failure safe.
        let digest = fnv(&text);
        for (i, entry) in entries.iter().enumerate() {
            debug_assert_eq!(entry.source, Some(Source::Import));
            let key = format!("import-{digest:016x}-{}-{i}", created.id);
            client.create_entry(created.id, entry, Some(&key)).await?;
        }
        anyhow::Ok((created.id, entries.len()))
    })?;
    println!(
        "imported {} as incident {id} ({count} entries)",
        file.display()
    );
    Ok(())
}

fn fnv(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}
