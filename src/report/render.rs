//! Turning a [`Postmortem`] into Markdown (through a user-replaceable
//! minijinja template) or JSON.

use std::fmt;

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};

use super::postmortem::{Postmortem, minutes_text};

/// The default Markdown template (`assets/templates/postmortem.md.j2`).
pub const DEFAULT_TEMPLATE: &str = include_str!("../../assets/templates/postmortem.md.j2");

/// Name the template carries in minijinja's own messages.
const TEMPLATE_NAME: &str = "postmortem.md";

/// A template that does not parse or fails while rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// 1-based line of the template, when the engine knows it.
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "template error on line {line}: {}", self.message),
            None => write!(f, "template error: {}", self.message),
        }
    }
}

impl std::error::Error for TemplateError {}

impl From<minijinja::Error> for TemplateError {
    fn from(err: minijinja::Error) -> Self {
        let message = match err.detail() {
            Some(detail) => format!("{}: {detail}", err.kind()),
            None => err.kind().to_string(),
        };
        TemplateError {
            line: err.line().filter(|line| *line > 0),
            message,
        }
    }
}

/// Renders `pm` with `template` (minijinja syntax, `trim_blocks` and
/// `lstrip_blocks` on, no escaping). Printing an undefined variable is an
/// error, so a typo in a template shows up with its line rather than as a gap.
///
/// Filters besides minijinja's built-ins: `minutes` (`27` → `27 minutes`) and
/// `pct` (`5.25` → `5.3%`).
pub fn render_markdown(pm: &Postmortem, template: &str) -> Result<String, TemplateError> {
    render_with(pm, template)
}

/// Renders a postmortem received as JSON (`render_json`'s output, e.g. from
/// the API) with a user's template; the same bytes as `render_markdown`.
pub fn render_markdown_json(
    pm: &serde_json::Value,
    template: &str,
) -> Result<String, TemplateError> {
    render_with(pm, template)
}

fn render_with<T: serde::Serialize>(data: &T, template: &str) -> Result<String, TemplateError> {
    let mut env = Environment::new();
    env.set_syntax(
        SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()?,
    );
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.add_filter("minutes", |minutes: u64| minutes_text(minutes));
    env.add_filter("pct", |percent: f64| format!("{percent:.1}%"));
    let compiled = env.template_from_named_str(TEMPLATE_NAME, template)?;
    Ok(compiled.render(Value::from(Serde(data)))?)
}

/// `pm` as pretty JSON with a trailing newline. Keys come in the order the
/// types declare them, so the same postmortem gives the same bytes.
pub fn render_json(pm: &Postmortem) -> String {
    match serde_json::to_string_pretty(pm) {
        Ok(mut json) => {
            json.push('\n');
            json
        }
        // Plain structs, string keys and finite numbers: serializing cannot fail.
        // Should it ever, say so in JSON rather than panic.
        Err(err) => format!("{{\"error\": {:?}}}\n", err.to_string()),
    }
}
