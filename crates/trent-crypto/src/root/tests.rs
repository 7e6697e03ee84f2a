//! Root key file tests: creation, permissions, sealing and binding by AAD.

use super::*;

#[test]
#[allow(clippy::unwrap_used)]
fn creates_reopens_and_seals() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("root.key");
    let (a, created) = FileRootKey::open_or_create(&path).unwrap();
    assert!(created);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let sealed = a.seal(b"material", b"arn-1").unwrap();
    assert_ne!(&sealed[HEADER_LEN..HEADER_LEN + 8], b"material");
    let (b, created) = FileRootKey::open_or_create(&path).unwrap();
    assert!(!created);
    assert_eq!(b.unseal(&sealed, b"arn-1").unwrap().as_slice(), b"material");
    // Bound to its AAD.
    assert!(b.unseal(&sealed, b"arn-2").is_err());
    // Any flipped byte fails.
    for i in 0..sealed.len() {
        let mut t = sealed.clone();
        t[i] ^= 1;
        assert!(b.unseal(&t, b"arn-1").is_err(), "byte {i}");
    }
    assert!(b.unseal(&[], b"arn-1").is_err());
}

#[test]
#[allow(clippy::unwrap_used)]
fn another_root_key_cannot_unseal() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = FileRootKey::open_or_create(&dir.path().join("a.key")).unwrap();
    let (b, _) = FileRootKey::open_or_create(&dir.path().join("b.key")).unwrap();
    let sealed = a.seal(b"x", b"").unwrap();
    assert!(b.unseal(&sealed, b"").is_err());
}

#[test]
#[cfg(unix)]
#[allow(clippy::unwrap_used)]
fn refuses_world_readable_and_malformed_files() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("root.key");
    std::fs::write(&path, "00".repeat(32)).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(matches!(
        FileRootKey::open_or_create(&path),
        Err(RootKeyError::Permissions(..))
    ));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(FileRootKey::open_or_create(&path).is_ok());
    std::fs::write(&path, "not hex").unwrap();
    assert!(matches!(
        FileRootKey::open_or_create(&path),
        Err(RootKeyError::Malformed(..))
    ));
}
