//! Bearer tokens and roles (DESIGN.md §3). Tokens are compared in constant
//! time and never logged; only their names are.

use std::path::{Path, PathBuf};

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::AppState;
use super::error::Failure;
use crate::model::{AccessRole, ErrorCode};

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenEntry {
    pub name: String,
    pub role: AccessRole,
    pub token: String,
}

impl std::fmt::Debug for TokenEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenEntry")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("token", &"<redacted>")
            .finish()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokensFile {
    #[serde(rename = "token")]
    tokens: Vec<TokenEntry>,
}

/// The tokens the server accepts.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    entries: Vec<TokenEntry>,
}

impl Tokens {
    pub fn new(entries: Vec<TokenEntry>) -> Self {
        Tokens { entries }
    }

    /// Parse a tokens file: `[[token]] name = "…" role = "…" token = "…"`.
    pub fn parse(file: &str, text: &str) -> anyhow::Result<Tokens> {
        let parsed: TokensFile = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
            match line {
                Some(line) => anyhow::anyhow!("{file}: line {line}: {}", e.message()),
                None => anyhow::anyhow!("{file}: {}", e.message()),
            }
        })?;
        for (i, t) in parsed.tokens.iter().enumerate() {
            if t.name.trim().is_empty() {
                anyhow::bail!("{file}: token[{i}].name: must not be empty");
            }
            if t.token.len() < 16 {
                anyhow::bail!(
                    "{file}: token[{i}].token: token '{}' is too short (at least 16 characters)",
                    t.name
                );
            }
            if parsed.tokens[..i].iter().any(|o| o.token == t.token) {
                anyhow::bail!("{file}: token[{i}].token: the same token is listed twice");
            }
        }
        if parsed.tokens.is_empty() {
            anyhow::bail!("{file}: token: at least one [[token]] is required");
        }
        Ok(Tokens {
            entries: parsed.tokens,
        })
    }

    pub fn load(path: &Path) -> anyhow::Result<Tokens> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Tokens::parse(&path.display().to_string(), &text)
    }

    /// The caller a presented token belongs to. Every entry is compared, in
    /// constant time, so timing does not reveal which one matched.
    pub fn authenticate(&self, presented: &str) -> Option<Caller> {
        let mut found = None;
        for entry in &self.entries {
            if bool::from(entry.token.as_bytes().ct_eq(presented.as_bytes())) {
                found = Some(Caller {
                    name: entry.name.clone(),
                    role: entry.role,
                });
            }
        }
        found
    }
}

/// Load the generated commander token from `path`, creating it (mode 0600)
/// when missing. Returns the tokens and whether the file was created.
pub fn generated_token(path: &Path) -> anyhow::Result<(Tokens, bool)> {
    let created = if path.exists() {
        false
    } else {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let token = format!("wr_{}", uuid::Uuid::new_v4().simple());
        write_private(path, &format!("{token}\n"))?;
        true
    };
    let token = std::fs::read_to_string(path)?.trim().to_string();
    if token.len() < 16 {
        anyhow::bail!(
            "{}: the stored token is too short; delete the file to make a new one",
            path.display()
        );
    }
    let tokens = Tokens::new(vec![TokenEntry {
        name: "commander".into(),
        role: AccessRole::Commander,
        token,
    }]);
    Ok((tokens, created))
}

fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

/// Where `serve` keeps its generated token.
pub fn default_token_path(data_dir: &Path) -> PathBuf {
    data_dir.join("token")
}

/// Who is calling, from a valid bearer token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub name: String,
    pub role: AccessRole,
}

impl Caller {
    /// 403 unless the caller's role is at least `role`.
    pub fn require(&self, role: AccessRole) -> Result<(), Failure> {
        if self.role >= role {
            Ok(())
        } else {
            Err(Failure::new(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                format!(
                    "this needs the {} role; token '{}' has {}",
                    role.as_str(),
                    self.name,
                    self.role.as_str()
                ),
            ))
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Failure> {
        let unauthorized = |message: &str| {
            Failure::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthorized,
                message.to_string(),
            )
        };
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| unauthorized("send `Authorization: Bearer <token>`"))?;
        let value = header
            .to_str()
            .map_err(|_| unauthorized("the Authorization header is not valid text"))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or_else(|| unauthorized("the Authorization header must be `Bearer <token>`"))?;
        state
            .tokens
            .authenticate(token.trim())
            .ok_or_else(|| unauthorized("the token is not valid"))
    }
}

/// A caller whose token has at least the responder role: 401 without a
/// valid token, 403 for a viewer. As an extractor it answers before the
/// request's headers and body are read, so a refusal says who may do it.
#[derive(Debug, Clone)]
pub struct Responder(pub Caller);

/// A caller whose token has the commander role (403 otherwise).
#[derive(Debug, Clone)]
pub struct Commander(pub Caller);

impl FromRequestParts<AppState> for Responder {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Failure> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require(AccessRole::Responder)?;
        Ok(Responder(caller))
    }
}

impl FromRequestParts<AppState> for Commander {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Failure> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require(AccessRole::Commander)?;
        Ok(Commander(caller))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_authenticates() {
        let tokens = Tokens::parse(
            "t.toml",
            r#"
[[token]]
name = "alice"
role = "commander"
token = "aaaaaaaaaaaaaaaaaaaa"
[[token]]
name = "bob"
role = "viewer"
token = "bbbbbbbbbbbbbbbbbbbb"
"#,
        )
        .unwrap();
        assert_eq!(
            tokens.authenticate("bbbbbbbbbbbbbbbbbbbb").unwrap().name,
            "bob"
        );
        assert!(tokens.authenticate("bbbbbbbbbbbbbbbbbbb").is_none());
        assert!(tokens.authenticate("").is_none());
    }

    #[test]
    fn bad_role_is_refused_with_allowed_values() {
        let err = Tokens::parse(
            "t.toml",
            "[[token]]\nname = \"a\"\nrole = \"admin\"\ntoken = \"aaaaaaaaaaaaaaaaaaaa\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("admin") && err.contains("commander"), "{err}");
    }

    #[test]
    fn debug_never_shows_the_token() {
        let entry = TokenEntry {
            name: "a".into(),
            role: AccessRole::Viewer,
            token: "secret-secret-secret".into(),
        };
        assert!(!format!("{entry:?}").contains("secret"));
    }
}
