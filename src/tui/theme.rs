//! Themes by meaning: views ask for `theme.health(state)` or
//! `theme.ui(UiStyle::Focus)`, never for a colour. The built-in themes are
//! `themes/*.toml`, embedded so the binary works alone; a user theme is a
//! file of the same shape that may `extends` a built-in and override keys.

use std::collections::HashSet;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use toml::{Table, Value};

use crate::model::{AlertSeverity, HealthState, Severity, SwitchHealth};

/// The themes compiled into the binary: name and TOML text.
pub const BUILTIN_THEMES: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("colorblind", include_str!("../../themes/colorblind.toml")),
];

/// Styles of the console's chrome, by what they mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UiStyle {
    Text,
    /// Secondary text, and all data while it is stale.
    Muted,
    Border,
    /// The border and title of the focused pane.
    Focus,
    Title,
    /// The selected row of the focused pane.
    Selected,
    Header,
    /// The DEMO / READ-ONLY badges.
    Badge,
    /// The API-down banner.
    Banner,
    /// Text being typed (filter, palette).
    Prompt,
    /// Key names in help and hints.
    Key,
    Error,
}

const HEALTH_KEYS: [&str; 5] = ["up", "degraded", "down", "flapping", "unknown"];
const SWITCH_KEYS: [&str; 3] = ["ok", "suspect", "down"];
const ALERT_KEYS: [&str; 3] = ["critical", "warning", "info"];
const INCIDENT_KEYS: [&str; 4] = ["sev1", "sev2", "sev3", "sev4"];
const UI_KEYS: [&str; 12] = [
    "text", "muted", "border", "focus", "title", "selected", "header", "badge", "banner", "prompt",
    "key", "error",
];
const STYLE_SECTIONS: [(&str, &[&str]); 5] = [
    ("health", &HEALTH_KEYS),
    ("switch", &SWITCH_KEYS),
    ("alert", &ALERT_KEYS),
    ("incident", &INCIDENT_KEYS),
    ("ui", &UI_KEYS),
];
const STYLE_FIELDS: &str = "fg, bg, bold, dim, italic, underlined, reversed";
const COLOUR_HELP: &str = "use a name like \"light_red\", \"#rrggbb\" or a number 0..255";

/// A theme file that could not be used: which file, which key, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("theme {source_name}: {key}: {problem}")]
pub struct ThemeError {
    pub source_name: String,
    pub key: String,
    pub problem: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    health: [Style; 5],
    glyphs: [String; 5],
    switch: [Style; 3],
    alert: [Style; 3],
    incident: [Style; 4],
    ui: [Style; 12],
}

impl Default for Theme {
    fn default() -> Self {
        // The embedded default is checked by a unit test; this cannot fail in a built binary.
        Theme::builtin("default").unwrap_or_else(|| Theme::blank("default"))
    }
}

impl Theme {
    fn blank(name: &str) -> Theme {
        Theme {
            name: name.to_string(),
            health: [Style::new(); 5],
            glyphs: ["●", "◐", "✖", "↯", "·"].map(String::from),
            switch: [Style::new(); 3],
            alert: [Style::new(); 3],
            incident: [Style::new(); 4],
            ui: [Style::new(); 12],
        }
    }

    /// A built-in theme by name.
    pub fn builtin(name: &str) -> Option<Theme> {
        let (_, text) = BUILTIN_THEMES.iter().find(|(n, _)| *n == name)?;
        Theme::parse_complete(name, text).ok()
    }

    /// `spec` is a built-in theme's name or the path of a theme file.
    pub fn load(spec: &str) -> Result<Theme, ThemeError> {
        if let Some(theme) = Theme::builtin(spec) {
            return Ok(theme);
        }
        let path = Path::new(spec);
        if !path.exists() {
            let names: Vec<&str> = BUILTIN_THEMES.iter().map(|(n, _)| *n).collect();
            return Err(ThemeError {
                source_name: spec.to_string(),
                key: "theme".into(),
                problem: format!(
                    "no built-in theme or file by that name; built-in themes: {}",
                    names.join(", ")
                ),
            });
        }
        let text = std::fs::read_to_string(path).map_err(|e| ThemeError {
            source_name: spec.to_string(),
            key: "theme".into(),
            problem: format!("cannot read the file: {e}"),
        })?;
        Theme::parse(spec, &text)
    }

    /// A user theme: keys it leaves out come from `extends` (default: "default").
    pub fn parse(source_name: &str, text: &str) -> Result<Theme, ThemeError> {
        let table = parse_table(source_name, text)?;
        let base_name = match table.get("extends") {
            None => "default",
            Some(Value::String(name)) => name.as_str(),
            Some(_) => {
                return Err(err(
                    source_name,
                    "extends",
                    "must be the name of a built-in theme",
                ));
            }
        };
        let mut theme = Theme::builtin(base_name).ok_or_else(|| {
            err(
                source_name,
                "extends",
                &format!("'{base_name}' is not a built-in theme"),
            )
        })?;
        theme.name = source_name.to_string();
        theme.apply(source_name, &table)?;
        Ok(theme)
    }

    /// A theme that must set every key (the built-in ones).
    pub fn parse_complete(source_name: &str, text: &str) -> Result<Theme, ThemeError> {
        let table = parse_table(source_name, text)?;
        let mut theme = Theme::blank(source_name);
        let set = theme.apply(source_name, &table)?;
        let glyphs: (&str, &[&str]) = ("glyphs", &HEALTH_KEYS);
        for (section, keys) in STYLE_SECTIONS.iter().chain(std::iter::once(&glyphs)) {
            for key in keys.iter() {
                let path = format!("{section}.{key}");
                if !set.contains(&path) {
                    return Err(err(source_name, &path, "missing"));
                }
            }
        }
        Ok(theme)
    }

    /// Apply the keys of `table`; returns the dotted paths it set.
    fn apply(&mut self, source_name: &str, table: &Table) -> Result<HashSet<String>, ThemeError> {
        let mut set = HashSet::new();
        for (section, value) in table {
            if section == "extends" || section == "name" {
                continue;
            }
            let Value::Table(entries) = value else {
                return Err(err(source_name, section, "must be a table ([section])"));
            };
            if section == "glyphs" {
                for (key, value) in entries {
                    let path = format!("glyphs.{key}");
                    let index = position(&HEALTH_KEYS, key)
                        .ok_or_else(|| err(source_name, &path, &unknown_key(&HEALTH_KEYS)))?;
                    self.glyphs[index] =
                        parse_glyph(value).map_err(|p| err(source_name, &path, &p))?;
                    set.insert(path);
                }
                continue;
            }
            let (_, keys) = STYLE_SECTIONS.iter().find(|(name, _)| name == section).ok_or_else(|| {
                err(source_name, section, "unknown section (known: health, glyphs, switch, alert, incident, ui, extends)")
            })?;
            for (key, value) in entries {
                let path = format!("{section}.{key}");
                let index = position(keys, key)
                    .ok_or_else(|| err(source_name, &path, &unknown_key(keys)))?;
                let style = parse_style(source_name, &path, value)?;
                let slot = match section.as_str() {
                    "health" => &mut self.health[index],
                    "switch" => &mut self.switch[index],
                    "alert" => &mut self.alert[index],
                    "incident" => &mut self.incident[index],
                    _ => &mut self.ui[index],
                };
                *slot = style;
                set.insert(path);
            }
        }
        Ok(set)
    }

    pub fn health(&self, state: HealthState) -> Style {
        self.health[health_index(state)]
    }

    /// A one-cell glyph per health state, so states differ without colour.
    pub fn glyph(&self, state: HealthState) -> &str {
        &self.glyphs[health_index(state)]
    }

    pub fn switch(&self, health: SwitchHealth) -> Style {
        self.switch[match health {
            SwitchHealth::Ok => 0,
            SwitchHealth::Suspect => 1,
            SwitchHealth::Down => 2,
        }]
    }

    pub fn alert(&self, severity: AlertSeverity) -> Style {
        self.alert[match severity {
            AlertSeverity::Critical => 0,
            AlertSeverity::Warning => 1,
            AlertSeverity::Info => 2,
        }]
    }

    pub fn incident(&self, severity: Severity) -> Style {
        self.incident[match severity {
            Severity::Sev1 => 0,
            Severity::Sev2 => 1,
            Severity::Sev3 => 2,
            Severity::Sev4 => 3,
        }]
    }

    pub fn ui(&self, style: UiStyle) -> Style {
        self.ui[style as usize]
    }

    /// `style` for a piece of data, greyed out when the data is stale.
    pub fn data(&self, style: Style, stale: bool) -> Style {
        if stale {
            let muted = self.ui(UiStyle::Muted);
            Style {
                fg: muted.fg,
                bg: None,
                ..style
            }
            .remove_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            style
        }
    }
}

fn health_index(state: HealthState) -> usize {
    match state {
        HealthState::Up => 0,
        HealthState::Degraded => 1,
        HealthState::Down => 2,
        HealthState::Flapping => 3,
        HealthState::Unknown => 4,
    }
}

fn parse_table(source_name: &str, text: &str) -> Result<Table, ThemeError> {
    text.parse::<Table>().map_err(|e| {
        let place = e
            .span()
            .map(|span| {
                format!(
                    "line {}",
                    text[..span.start.min(text.len())].lines().count().max(1)
                )
            })
            .unwrap_or_else(|| "file".into());
        err(source_name, &place, e.message())
    })
}

fn err(source_name: &str, key: &str, problem: &str) -> ThemeError {
    ThemeError {
        source_name: source_name.to_string(),
        key: key.to_string(),
        problem: problem.to_string(),
    }
}

fn position(keys: &[&str], key: &str) -> Option<usize> {
    keys.iter().position(|k| *k == key)
}

fn unknown_key(keys: &[&str]) -> String {
    format!("unknown key (known: {})", keys.join(", "))
}

fn parse_glyph(value: &Value) -> Result<String, String> {
    let Value::String(glyph) = value else {
        return Err("must be a string of one character".into());
    };
    let width = ratatui::text::Span::raw(glyph.as_str()).width();
    if width != 1 || glyph.chars().any(char::is_control) {
        return Err(format!(
            "'{glyph}' must be one character that takes one cell"
        ));
    }
    Ok(glyph.clone())
}

fn parse_style(source_name: &str, path: &str, value: &Value) -> Result<Style, ThemeError> {
    let Value::Table(fields) = value else {
        return Err(err(
            source_name,
            path,
            &format!("must be a table like {{ fg = \"red\", bold = true }} ({STYLE_FIELDS})"),
        ));
    };
    let mut style = Style::new();
    for (field, value) in fields {
        let field_path = format!("{path}.{field}");
        match field.as_str() {
            "fg" | "bg" => {
                let Value::String(name) = value else {
                    return Err(err(
                        source_name,
                        &field_path,
                        &format!("must be a string; {COLOUR_HELP}"),
                    ));
                };
                let colour = parse_colour(name).ok_or_else(|| {
                    err(
                        source_name,
                        &field_path,
                        &format!("unknown colour '{name}'; {COLOUR_HELP}"),
                    )
                })?;
                style = if field == "fg" {
                    style.fg(colour)
                } else {
                    style.bg(colour)
                };
            }
            "bold" | "dim" | "italic" | "underlined" | "reversed" => {
                let Value::Boolean(on) = value else {
                    return Err(err(source_name, &field_path, "must be true or false"));
                };
                let modifier = match field.as_str() {
                    "bold" => Modifier::BOLD,
                    "dim" => Modifier::DIM,
                    "italic" => Modifier::ITALIC,
                    "underlined" => Modifier::UNDERLINED,
                    _ => Modifier::REVERSED,
                };
                if *on {
                    style = style.add_modifier(modifier);
                }
            }
            _ => {
                return Err(err(
                    source_name,
                    &field_path,
                    &format!("unknown style field (known: {STYLE_FIELDS})"),
                ));
            }
        }
    }
    Ok(style)
}

fn parse_colour(name: &str) -> Option<Color> {
    if let Some(hex) = name.strip_prefix('#') {
        if hex.len() != 6 {
            return None;
        }
        let n = u32::from_str_radix(hex, 16).ok()?;
        return Some(Color::Rgb((n >> 16) as u8, (n >> 8) as u8, n as u8));
    }
    if let Ok(index) = name.parse::<u8>() {
        return Some(Color::Indexed(index));
    }
    Some(match name.to_ascii_lowercase().replace('-', "_").as_str() {
        "reset" | "default" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "dark_gray" | "dark_grey" => Color::DarkGray,
        "light_red" => Color::LightRed,
        "light_green" => Color::LightGreen,
        "light_yellow" => Color::LightYellow,
        "light_blue" => Color::LightBlue,
        "light_magenta" => Color::LightMagenta,
        "light_cyan" => Color::LightCyan,
        "white" => Color::White,
        _ => return None,
    })
}

#[cfg(test)]
#[path = "theme_tests.rs"]
mod tests;
