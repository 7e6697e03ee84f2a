//! `trent backup` (a snapshot while the server runs) and `trent restore`.

use std::process::ExitCode;

pub(super) async fn backup(data_dir: &std::path::Path, to: &std::path::Path) -> ExitCode {
    match crate::run::backup::backup(data_dir, to).await {
        Ok(()) => {
            println!("wrote {}", to.display());
            let sealed = data_dir.join("root.key.enc");
            let key = if sealed.exists() {
                sealed
            } else {
                data_dir.join("root.key")
            };
            println!(
                "keep {} apart from it: the snapshot cannot be opened without that root key, and the key cannot be recovered from it",
                key.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("trent backup: {e}");
            ExitCode::FAILURE
        }
    }
}

pub(super) fn restore(data_dir: &std::path::Path, from: &std::path::Path) -> ExitCode {
    match crate::run::backup::restore(data_dir, from) {
        Ok(()) => {
            println!("restored {} into {}", from.display(), data_dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("trent restore: {e}");
            ExitCode::FAILURE
        }
    }
}
