//! Files and trees as the file suites compare them: a file's SHA-256, and
//! every file, link and directory under a root with each file's hash and mode.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The SHA-256 (hex) of the file at `path`.
pub fn sha256_file(path: &Path) -> String {
    let mut f = std::fs::File::open(path).expect("open");
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).expect("read");
    hex::encode(h.finalize())
}

/// Every file, link and directory under `root`, with each file's hash and
/// mode and each link's target.
pub fn tree(root: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for item in std::fs::read_dir(&dir).expect("read_dir") {
            let p = item.expect("entry").path();
            let rel = p.strip_prefix(root).expect("under").to_path_buf();
            let meta = std::fs::symlink_metadata(&p).expect("meta");
            if meta.file_type().is_symlink() {
                let t = std::fs::read_link(&p).expect("link");
                out.push((rel, format!("link {}", t.display())));
            } else if meta.is_dir() {
                out.push((rel, "dir".into()));
                todo.push(p);
            } else {
                out.push((
                    rel,
                    format!("{:o} {}", meta.mode() & 0o777, sha256_file(&p)),
                ));
            }
        }
    }
    out.sort();
    out
}
