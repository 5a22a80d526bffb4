//! Where the binaries under test are. Cargo sets `CARGO_BIN_EXE_*` only for a
//! package's own binaries, so the suites find the workspace's next to their
//! own executable (same target directory, same profile) and refuse one that
//! is missing or older than any source file cargo recorded for it (its `.d`
//! dep-info file): a stale binary would test yesterday's code.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::SystemTime;

/// The `latchkey` command.
pub fn latchkey() -> &'static Path {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| locate("latchkey"))
}

/// The rendezvous server.
pub fn rendezvous() -> &'static Path {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| locate("latchkey-rendezvous"))
}

/// The CUPS backend of remote print.
pub fn print_backend() -> &'static Path {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| locate("latchkey-print-backend"))
}

/// The desktop app.
pub fn app() -> &'static Path {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| locate("latchkey-app"))
}

/// The workspace's root folder.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

const BUILD: &str = "cargo build --workspace --bins (scripts/test.sh does)";

/// `<target>/<profile>/<name>`, checked against its dep-info.
fn locate(name: &str) -> PathBuf {
    // This executable is <target>/<profile>/deps/<suite>-<hash>.
    let exe = std::env::current_exe().expect("the test's own path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("a test executable lives in <target>/<profile>/deps");
    let bin = profile_dir.join(name);
    let built = std::fs::metadata(&bin)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| panic!("{} is missing ({e}): build it with {BUILD}", bin.display()));
    let dep_info = profile_dir.join(format!("{name}.d"));
    let listed = std::fs::read_to_string(&dep_info).unwrap_or_else(|e| {
        panic!(
            "{} unreadable ({e}): build with {BUILD}",
            dep_info.display()
        )
    });
    if let Some(newer) = newer_source(&listed, built) {
        panic!(
            "{} is older than {}: build it again with {BUILD}",
            bin.display(),
            newer.display()
        );
    }
    bin
}

/// The first source listed in a dep-info file that changed after `built`.
fn newer_source(dep_info: &str, built: SystemTime) -> Option<PathBuf> {
    sources(dep_info).into_iter().find(|source| {
        std::fs::metadata(source)
            .and_then(|m| m.modified())
            // A source that is gone means the binary was built from a tree that is not this one.
            .map_or(true, |changed| changed > built)
    })
}

/// The paths after `target:` on the dep-info's first line (spaces in paths are `\ `).
fn sources(dep_info: &str) -> Vec<PathBuf> {
    let Some(line) = dep_info.lines().next() else {
        return Vec::new();
    };
    let Some((_, deps)) = line.split_once(": ") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = deps.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&' ') => {
                current.push(' ');
                chars.next();
            }
            ' ' => {
                if !current.is_empty() {
                    out.push(PathBuf::from(std::mem::take(&mut current)));
                }
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(PathBuf::from(current));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dep_info_paths_with_spaces() {
        let listed = "/t/debug/latchkey: /w/a.rs /w/my\\ dir/b.rs\n\n/w/a.rs:\n";
        assert_eq!(
            sources(listed),
            vec![PathBuf::from("/w/a.rs"), PathBuf::from("/w/my dir/b.rs")]
        );
    }

    #[test]
    fn a_source_newer_than_the_binary_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let source = dir.path().join("main.rs");
        std::fs::write(&source, "fn main() {}").expect("write");
        let listed = format!("bin: {}\n", source.display());
        let changed = std::fs::metadata(&source)
            .and_then(|m| m.modified())
            .expect("mtime");
        assert_eq!(
            newer_source(&listed, changed + Duration::from_secs(1)),
            None
        );
        assert_eq!(
            newer_source(&listed, changed - Duration::from_secs(1)),
            Some(source.clone())
        );
        let gone = format!("bin: {}\n", dir.path().join("gone.rs").display());
        assert!(newer_source(&gone, changed).is_some());
    }
}
