//! What the SoftHSM2 tests share: the module's path and throwaway tokens.

use std::path::{Path, PathBuf};
use std::process::Command;

/// SoftHSM2's module: `TRENT_TEST_PKCS11_MODULE`, or where Debian puts it.
pub fn module() -> PathBuf {
    std::env::var_os("TRENT_TEST_PKCS11_MODULE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/softhsm/libsofthsm2.so"))
}

/// A SoftHSM2 configuration whose tokens live in `dir`.
pub fn softhsm(dir: &Path) -> PathBuf {
    let tokens = dir.join("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
    conf
}

/// A new token, `label`, whose user PIN is `pin`.
pub fn init_token(conf: &Path, label: &str, pin: &str) {
    let out = Command::new("softhsm2-util")
        .env("SOFTHSM2_CONF", conf)
        .args(["--init-token", "--free", "--label", label])
        .args(["--so-pin", "12345678", "--pin", pin])
        .output()
        .expect("softhsm2-util (scripts/test installs softhsm2)");
    assert!(out.status.success(), "{out:?}");
}
