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

#[test]
#[allow(clippy::unwrap_used)]
fn a_passphrase_protects_the_root_key() {
    let dir = tempfile::tempdir().unwrap();
    let (enc, plain) = (dir.path().join("root.key.enc"), dir.path().join("root.key"));
    let pass = Secret::from_slice(b"correct horse battery staple");
    let (a, created) = FileRootKey::open_or_create_with_passphrase(&enc, &plain, &pass).unwrap();
    assert!(created);
    let sealed = a.seal(b"material", b"aad").unwrap();
    // The file holds no key in the clear, and reopens with the same passphrase only.
    let text = std::fs::read_to_string(&enc).unwrap();
    assert!(text.starts_with("trent-root-v1 argon2id m=65536 t=3 p=1 "));
    let (b, created) = FileRootKey::open_or_create_with_passphrase(&enc, &plain, &pass).unwrap();
    assert!(!created);
    assert_eq!(b.unseal(&sealed, b"aad").unwrap().as_slice(), b"material");
    let wrong = Secret::from_slice(b"incorrect");
    assert!(matches!(
        FileRootKey::open_or_create_with_passphrase(&enc, &plain, &wrong),
        Err(RootKeyError::WrongPassphrase(_))
    ));
    // A directory with a plain root key is not silently given a second one.
    let other = tempfile::tempdir().unwrap();
    FileRootKey::open_or_create(&other.path().join("root.key")).unwrap();
    assert!(matches!(
        FileRootKey::open_or_create_with_passphrase(
            &other.path().join("root.key.enc"),
            &other.path().join("root.key"),
            &pass
        ),
        Err(RootKeyError::PlainKeyPresent(_))
    ));
}
