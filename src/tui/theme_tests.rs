use super::*;

const STATES: [HealthState; 5] = [
    HealthState::Up,
    HealthState::Degraded,
    HealthState::Down,
    HealthState::Flapping,
    HealthState::Unknown,
];

fn all_builtin() -> Vec<Theme> {
    BUILTIN_THEMES
        .iter()
        .map(|(name, text)| Theme::parse_complete(name, text).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

/// Red or green as a colour-blind viewer would confuse them.
fn is_red_or_green(colour: Option<Color>) -> bool {
    match colour {
        Some(Color::Red | Color::LightRed | Color::Green | Color::LightGreen) => true,
        Some(Color::Rgb(r, g, b)) => {
            let (r, g, b) = (f64::from(r), f64::from(g), f64::from(b));
            let max = r.max(g).max(b);
            let min = r.min(g).min(b);
            if max - min < 40.0 {
                return false; // grey
            }
            let hue = if max == r {
                (60.0 * (g - b) / (max - min)).rem_euclid(360.0)
            } else if max == g {
                60.0 * (b - r) / (max - min) + 120.0
            } else {
                60.0 * (r - g) / (max - min) + 240.0
            };
            !(15.0..=345.0).contains(&hue) || (75.0..=165.0).contains(&hue)
        }
        _ => false,
    }
}

#[test]
fn every_builtin_theme_is_complete() {
    assert_eq!(all_builtin().len(), 4);
    assert!(Theme::builtin("high-contrast").is_some());
}

#[test]
fn default_theme_maps_health_to_the_expected_colours() {
    let theme = Theme::builtin("default").expect("default");
    assert_eq!(theme.health(HealthState::Up).fg, Some(Color::Green));
    assert_eq!(theme.health(HealthState::Degraded).fg, Some(Color::Yellow));
    assert_eq!(theme.health(HealthState::Down).fg, Some(Color::LightRed));
    assert!(
        theme
            .health(HealthState::Down)
            .add_modifier
            .contains(Modifier::BOLD)
    );
    assert_eq!(
        theme.health(HealthState::Flapping).fg,
        Some(Color::LightMagenta)
    );
    assert_eq!(theme.glyph(HealthState::Down), "✖");
    assert_eq!(theme.switch(SwitchHealth::Suspect).bg, Some(Color::Yellow));
}

#[test]
fn each_theme_tells_every_health_state_apart_by_style_and_glyph() {
    for theme in all_builtin() {
        for (i, a) in STATES.iter().enumerate() {
            for b in &STATES[i + 1..] {
                assert_ne!(
                    theme.health(*a),
                    theme.health(*b),
                    "{}: {a:?} vs {b:?}",
                    theme.name
                );
                assert_ne!(
                    theme.glyph(*a),
                    theme.glyph(*b),
                    "{}: {a:?} vs {b:?}",
                    theme.name
                );
            }
        }
        assert_ne!(
            theme.switch(SwitchHealth::Ok),
            theme.switch(SwitchHealth::Suspect),
            "{}",
            theme.name
        );
        assert_ne!(
            theme.ui(UiStyle::Focus),
            theme.ui(UiStyle::Border),
            "{}",
            theme.name
        );
    }
}

#[test]
fn colorblind_theme_uses_no_red_or_green_for_health() {
    let theme = Theme::builtin("colorblind").expect("colorblind");
    for state in STATES {
        let style = theme.health(state);
        assert!(!is_red_or_green(style.fg), "{state:?} fg {:?}", style.fg);
        assert!(!is_red_or_green(style.bg), "{state:?} bg {:?}", style.bg);
    }
    for health in [SwitchHealth::Ok, SwitchHealth::Suspect, SwitchHealth::Down] {
        assert!(!is_red_or_green(theme.switch(health).bg), "{health:?}");
    }
    assert_eq!(
        theme.health(HealthState::Up).fg,
        Some(Color::Rgb(0x56, 0xb4, 0xe9))
    );
    assert_eq!(
        theme.health(HealthState::Down).fg,
        Some(Color::Rgb(0xe6, 0x9f, 0x00))
    );
    // The checker itself must see pure red and green.
    assert!(
        is_red_or_green(Some(Color::Rgb(255, 0, 0)))
            && is_red_or_green(Some(Color::Rgb(0, 200, 0)))
    );
}

#[test]
fn stale_data_is_greyed() {
    let theme = Theme::builtin("default").expect("default");
    let stale = theme.data(theme.health(HealthState::Down), true);
    assert_eq!(stale.fg, theme.ui(UiStyle::Muted).fg);
    assert!(!stale.add_modifier.contains(Modifier::BOLD));
    assert_eq!(
        theme.data(theme.health(HealthState::Down), false),
        theme.health(HealthState::Down)
    );
}

#[test]
fn a_user_theme_extends_a_builtin() {
    let theme = Theme::parse(
        "mine.toml",
        "extends = \"light\"\n[health]\nup = { fg = \"#0000ff\" }\n",
    )
    .expect("valid");
    assert_eq!(
        theme.health(HealthState::Up).fg,
        Some(Color::Rgb(0, 0, 255))
    );
    let light = Theme::builtin("light").expect("light");
    assert_eq!(
        theme.health(HealthState::Down),
        light.health(HealthState::Down)
    );
}

#[test]
fn a_bad_theme_is_refused_naming_the_key() {
    let cases = [
        (
            "[health]\nup = { fg = \"purpel\" }",
            "health.up.fg",
            "unknown colour 'purpel'",
        ),
        (
            "[health]\nupp = { fg = \"red\" }",
            "health.upp",
            "unknown key",
        ),
        (
            "[ui]\nfocus = { blink = true }",
            "ui.focus.blink",
            "unknown style field",
        ),
        (
            "[ui]\nfocus = { bold = \"yes\" }",
            "ui.focus.bold",
            "true or false",
        ),
        ("[glyphs]\nup = \"ab\"", "glyphs.up", "one character"),
        ("[colours]\nx = 1", "colours", "unknown section"),
        ("extends = \"solarized\"", "extends", "not a built-in theme"),
    ];
    for (text, key, problem) in cases {
        let error = Theme::parse("bad.toml", text).expect_err(text);
        assert_eq!(error.key, key, "{text}");
        assert!(error.problem.contains(problem), "{text}: {}", error.problem);
        assert!(error.to_string().starts_with("theme bad.toml: "), "{error}");
    }
    let missing = Theme::parse_complete("partial.toml", "[health]\nup = { fg = \"red\" }")
        .expect_err("incomplete");
    assert_eq!(missing.key, "health.degraded");
}

#[test]
fn load_finds_builtins_and_files_and_refuses_the_rest() {
    assert_eq!(
        Theme::load("colorblind").expect("builtin").name,
        "colorblind"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mine.toml");
    std::fs::write(
        &path,
        "[alert]\ncritical = { fg = \"white\", bg = \"blue\" }\n",
    )
    .expect("write");
    let theme = Theme::load(path.to_str().expect("utf-8")).expect("file theme");
    assert_eq!(theme.alert(AlertSeverity::Critical).bg, Some(Color::Blue));
    let error = Theme::load("no-such-theme").expect_err("unknown");
    assert!(
        error
            .problem
            .contains("built-in themes: default, light, high-contrast, colorblind"),
        "{error}"
    );
}
