//! Every committed fuzz input replays through its target without a finding:
//! the corpora (fuzz/corpus/<target>/*) and the inputs that once found a
//! bug (fuzz/regressions/<target>/*). Seconds, not minutes: no fuzzing here.

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files of `dir`, sorted (none when it does not exist).
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.expect("a directory entry").path())
            .filter(|p| p.is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

fn replay(kind: &str) -> usize {
    let mut count = 0;
    for (name, body) in latchkey_fuzz_bodies::TARGETS {
        for path in inputs(&fuzz_dir().join(kind).join(name)) {
            let data = std::fs::read(&path).expect("read an input");
            let run = std::panic::catch_unwind(|| body(&data));
            assert!(run.is_ok(), "{} fails its target {name}", path.display());
            count += 1;
        }
    }
    // Every folder there belongs to a target (a renamed target leaves none behind).
    if let Ok(entries) = std::fs::read_dir(fuzz_dir().join(kind)) {
        for e in entries {
            let name = e.expect("entry").file_name();
            let name = name.to_string_lossy();
            assert!(
                latchkey_fuzz_bodies::target(&name).is_some(),
                "fuzz/{kind}/{name} is no target's"
            );
        }
    }
    count
}

#[test]
fn every_corpus_replays() {
    for (name, _) in latchkey_fuzz_bodies::TARGETS {
        assert!(
            !inputs(&fuzz_dir().join("corpus").join(name)).is_empty(),
            "fuzz/corpus/{name} is empty"
        );
    }
    let n = replay("corpus");
    println!("{n} corpus inputs replayed");
}

#[test]
fn every_regression_replays() {
    let n = replay("regressions");
    println!("{n} regression inputs replayed");
}
