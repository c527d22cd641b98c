//! The runbooks the lab's fleet file runs, embedded so the binary works
//! alone, written under the lab's directory with the execute bit.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use anyhow::Context;

macro_rules! runbook {
    ($kind:literal, $name:literal) => {
        (
            $kind,
            $name,
            include_str!(concat!("../../assets/runbooks/", $kind, "/", $name)),
        )
    };
}

/// (kind, file name, text) of every shipped runbook file.
const RUNBOOKS: [(&str, &str, &str); 16] = [
    runbook!("haproxy", "haproxy_runtime.py"),
    runbook!("haproxy", "move-site"),
    runbook!("haproxy", "set-state"),
    runbook!("haproxy", "set-role"),
    runbook!("haproxy", "drain"),
    runbook!("haproxy", "ready"),
    runbook!("haproxy", "maint"),
    runbook!("haproxy", "promote-spare"),
    runbook!("haproxy", "recycle-web"),
    runbook!("lab", "lab_runtime.py"),
    runbook!("lab", "restart-node"),
    runbook!("lab", "restart-site"),
    runbook!("lab", "cache-failover"),
    runbook!("lab", "db-failover"),
    runbook!("lab", "cache-standby"),
    runbook!("lab", "rebuild-replica"),
];

/// Writes every runbook to `dir/<kind>/<name>`, executables 0755.
pub fn write_runbooks(dir: &Path) -> anyhow::Result<()> {
    for (kind, name, text) in RUNBOOKS {
        let folder = dir.join(kind);
        std::fs::create_dir_all(&folder)?;
        let path = folder.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        let mode = if name.ends_with(".py") { 0o644 } else { 0o755 };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_shipped_runbook_is_embedded() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/runbooks");
        for kind in ["haproxy", "lab"] {
            for entry in std::fs::read_dir(root.join(kind)).expect("runbooks") {
                let name = entry.expect("entry").file_name();
                let name = name.to_string_lossy();
                if name.starts_with('.') || name == "__pycache__" {
                    continue;
                }
                assert!(
                    super::RUNBOOKS
                        .iter()
                        .any(|(k, n, _)| *k == kind && *n == name),
                    "{kind}/{name} is not embedded"
                );
            }
        }
    }
}
