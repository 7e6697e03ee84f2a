//! Repository chores. `cargo run -p xtask -- tidy` checks that every Rust file opens with a
//! `//!` line saying its one job; the same check runs as a test in `cargo test`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        Some("tidy") => match tidy(&workspace_root()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(problems) => {
                for p in problems {
                    eprintln!("tidy: {p}");
                }
                ExitCode::FAILURE
            }
        },
        _ => {
            eprintln!("usage: cargo run -p xtask -- tidy");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `.rs` file under `crates/`, `xtask/` and `fuzz/` must start with a `//!` line.
fn tidy(root: &Path) -> Result<(), Vec<String>> {
    let mut files = Vec::new();
    for dir in ["crates", "xtask", "fuzz"] {
        rust_files(&root.join(dir), &mut files);
    }
    let problems: Vec<String> = files
        .iter()
        .filter(|f| {
            std::fs::read_to_string(f)
                .map(|text| !text.trim_start().starts_with("//!"))
                .unwrap_or(true)
        })
        .map(|f| format!("{} does not open with a `//!` line", f.display()))
        .collect();
    if files.is_empty() {
        return Err(vec!["found no Rust files: wrong root?".to_owned()]);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_module_says_its_job() {
        assert_eq!(super::tidy(&super::workspace_root()), Ok(()));
    }
}
