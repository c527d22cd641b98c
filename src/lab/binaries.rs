//! The system binaries the lab runs, found before anything starts. A missing
//! one is refused with the Debian/Ubuntu package that provides it.

use std::path::{Path, PathBuf};

/// Where each system binary the lab needs lives.
#[derive(Debug, Clone)]
pub struct Binaries {
    pub haproxy: PathBuf,
    pub memcached: PathBuf,
    /// The directory with PostgreSQL's server programs (`initdb`, `pg_ctl`,
    /// `postgres`, `pg_basebackup`).
    pub pg_bindir: PathBuf,
    /// The runbooks are Python 3.
    pub python3: PathBuf,
}

/// The one apt line that installs everything the lab needs.
pub const APT_LINE: &str = "apt-get install haproxy memcached postgresql python3";

/// Binaries that are not installed, each with its package.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the lab needs {}; install with `apt-get install {}` (everything: `{APT_LINE}`)", .missing.iter().map(|(b, _)| b.as_str()).collect::<Vec<_>>().join(", "), .missing.iter().map(|(_, p)| p.as_str()).collect::<Vec<_>>().join(" "))]
pub struct MissingBinaries {
    /// (binary, apt package).
    pub missing: Vec<(String, String)>,
}

/// Server programs that must all be in PostgreSQL's bin directory.
const PG_PROGRAMS: [&str; 4] = ["initdb", "pg_ctl", "postgres", "pg_basebackup"];

impl Binaries {
    /// Looks on `PATH` and in the sbin directories (Debian puts haproxy in
    /// /usr/sbin, often not on a user's `PATH`), and for PostgreSQL in
    /// `pg_config --bindir` and `/usr/lib/postgresql/*/bin`.
    pub fn find() -> Result<Binaries, MissingBinaries> {
        let mut missing = Vec::new();
        let mut need = |name: &str, package: &str| {
            let found = find_program(name);
            if found.is_none() {
                missing.push((name.to_string(), package.to_string()));
            }
            found.unwrap_or_default()
        };
        let haproxy = need("haproxy", "haproxy");
        let memcached = need("memcached", "memcached");
        let python3 = need("python3", "python3");
        let pg_bindir = find_pg_bindir();
        if pg_bindir.is_none() {
            missing.push((
                "PostgreSQL's initdb and pg_ctl".to_string(),
                "postgresql".to_string(),
            ));
        }
        if !missing.is_empty() {
            return Err(MissingBinaries { missing });
        }
        Ok(Binaries {
            haproxy,
            memcached,
            pg_bindir: pg_bindir.unwrap_or_default(),
            python3,
        })
    }

    pub fn pg(&self, program: &str) -> PathBuf {
        self.pg_bindir.join(program)
    }
}

fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(
            [
                "/usr/local/sbin",
                "/usr/local/bin",
                "/usr/sbin",
                "/usr/bin",
                "/sbin",
                "/bin",
            ]
            .map(PathBuf::from),
        )
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `pg_config --bindir` when it has the server programs, else the newest
/// `/usr/lib/postgresql/*/bin` (Debian's layout) that has them.
fn find_pg_bindir() -> Option<PathBuf> {
    let has_server = |dir: &Path| PG_PROGRAMS.iter().all(|p| is_executable(&dir.join(p)));
    if let Ok(out) = std::process::Command::new("pg_config")
        .arg("--bindir")
        .output()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_server(&dir) {
            return Some(dir);
        }
    }
    let mut candidates: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            has_server(&bin).then_some((version, bin))
        })
        .collect();
    candidates.sort();
    candidates.pop().map(|(_, bin)| bin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_binary_names_its_package_and_the_whole_apt_line() {
        let error = MissingBinaries {
            missing: vec![("memcached".into(), "memcached".into())],
        };
        let text = error.to_string();
        assert!(text.contains("apt-get install memcached`"), "{text}");
        assert!(text.contains(APT_LINE), "{text}");
    }

    #[test]
    fn programs_are_found_in_sbin_too() {
        // `sh` is everywhere; a name nobody has is nowhere.
        assert!(find_program("sh").is_some());
        assert!(find_program("warroom-no-such-program").is_none());
    }
}
