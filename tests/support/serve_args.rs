//! The command line of `warroom serve`: the role tokens as a `--tokens`
//! file, and the arguments on port 0.

use std::path::Path;

use super::tokens::{COMMANDER, RESPONDER, VIEWER};

/// The same tokens as a `--tokens` file.
pub fn tokens_file_text() -> String {
    format!(
        "[[token]]\nname = \"commander\"\nrole = \"commander\"\ntoken = \"{COMMANDER}\"\n\
         [[token]]\nname = \"responder\"\nrole = \"responder\"\ntoken = \"{RESPONDER}\"\n\
         [[token]]\nname = \"viewer\"\nrole = \"viewer\"\ntoken = \"{VIEWER}\"\n"
    )
}

/// The argument list of `warroom serve` on port 0.
pub fn serve_args(fleet: &Path, db: &Path, tokens: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "serve".to_string(),
        "--fleet".into(),
        fleet.display().to_string(),
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--db".into(),
        format!("sqlite://{}", db.display()),
        "--tokens".into(),
        tokens.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}
