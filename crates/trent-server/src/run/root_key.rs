//! Root-key files of a data directory: reading a passphrase, and setting or changing it on a
//! stopped directory.

use crate::failure::Failure;
use std::path::{Path, PathBuf};

use trent_core::secret::Secret;
use trent_crypto::FileRootKey;

/// Reads the root key's passphrase from `source` (`prompt`, `env:NAME`, `file:PATH`);
/// `confirm` asks twice at a prompt (a new passphrase).
pub fn read_passphrase(source: &str, confirm: bool) -> Result<Secret, Failure> {
    let text = read_text(source, "passphrase", confirm)?;
    Ok(Secret::from_slice(text.as_bytes()))
}

/// Reads a secret such as a PKCS#11 token's PIN from `source`, as [`read_passphrase`] does.
pub fn read_secret(source: &str, what: &str) -> Result<zeroize::Zeroizing<String>, Failure> {
    read_text(source, what, false)
}

fn read_text(
    source: &str,
    what: &str,
    confirm: bool,
) -> Result<zeroize::Zeroizing<String>, Failure> {
    let text: zeroize::Zeroizing<String> = if source == "prompt" {
        let ask = format!("Root key {what}: ");
        let first = zeroize::Zeroizing::new(rpassword::prompt_password(&ask).map_err(|e| {
            Failure::RootKey(format!("cannot read the {what} from the terminal: {e}"))
        })?);
        if confirm {
            let again = zeroize::Zeroizing::new(
                rpassword::prompt_password("Again, to confirm: ").map_err(|e| {
                    Failure::RootKey(format!("cannot read the {what} from the terminal: {e}"))
                })?,
            );
            if *again != *first {
                return Err(Failure::RootKey(format!("the two {what}s differ")));
            }
        }
        first
    } else if let Some(name) = source.strip_prefix("env:") {
        zeroize::Zeroizing::new(std::env::var(name).map_err(|_| {
            Failure::RootKey(format!("the environment variable {name} holds no {what}"))
        })?)
    } else if let Some(path) = source.strip_prefix("file:") {
        let mut text =
            zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
                Failure::RootKey(format!("cannot read the {what} file {path}: {e}"))
            })?);
        let line = text.lines().next().unwrap_or_default().len();
        text.truncate(line);
        text
    } else {
        let flag = if what == "passphrase" {
            "--root-key-passphrase"
        } else {
            "--root-key-pin"
        };
        return Err(Failure::RootKey(format!(
            "{flag} takes prompt, env:NAME or file:PATH, not '{source}'"
        )));
    };
    if text.is_empty() {
        return Err(Failure::RootKey(format!("the root key {what} is empty")));
    }
    Ok(text)
}

/// Protects the root key of the stopped data directory `dir` with the passphrase from `new`:
/// a plain `root.key` becomes `root.key.enc` (removed only once the new file is durable), or
/// `root.key.enc` is sealed again under the new passphrase (`old` opens it).
pub fn set_passphrase(dir: &Path, old: Option<&str>, new: &str) -> Result<PathBuf, Failure> {
    let _lock = crate::run::server::lock_data_dir(dir)?;
    let (plain, sealed) = (dir.join("root.key"), dir.join("root.key.enc"));
    let current = if sealed.exists() {
        let old = old.ok_or_else(|| {
            Failure::RootKey("the root key already has a passphrase: give it with --old".to_owned())
        })?;
        let old = read_passphrase(old, false)?;
        FileRootKey::open_or_create_with_passphrase(&sealed, &plain, &old)
    } else if plain.exists() {
        FileRootKey::open_or_create(&plain)
    } else {
        return Err(Failure::RootKey(format!(
            "{} holds no root key",
            dir.display()
        )));
    }
    .map_err(|e| Failure::RootKey(e.to_string()))?
    .0;
    let new = read_passphrase(new, true)?;
    current
        .save_with_passphrase(&sealed, &new)
        .map_err(|e| Failure::RootKey(e.to_string()))?;
    if plain.exists() {
        std::fs::remove_file(&plain)
            .map_err(|e| Failure::RootKey(format!("cannot remove {}: {e}", plain.display())))?;
    }
    Ok(sealed)
}
