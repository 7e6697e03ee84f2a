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

#[test]
#[allow(clippy::unwrap_used)]
fn a_rotation_adds_a_sealing_key_and_then_forgets_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("root.key");
    let (root, _) = FileRootKey::open_or_create(&path).unwrap();
    let old = root.seal(b"old", b"a").unwrap();
    assert!(root.sealed_under_current(&old));
    let id = root.begin_rotation().unwrap();
    assert_eq!(root.key_count(), 2);
    assert_eq!(root.key_ids().first(), Some(&id));
    // The ring is on disk before anything is sealed under the new key.
    let (reopened, _) = FileRootKey::open_or_create(&path).unwrap();
    assert_eq!(reopened.key_ids(), root.key_ids());
    let new = root.seal(b"new", b"a").unwrap();
    assert_eq!(hex::encode(&new[1..5]), id);
    assert!(!root.sealed_under_current(&old));
    assert!(root.sealed_under_current(&new));
    // Both keys unseal while the rotation is under way, also after a restart.
    assert_eq!(reopened.unseal(&old, b"a").unwrap().as_slice(), b"old");
    assert_eq!(reopened.unseal(&new, b"a").unwrap().as_slice(), b"new");
    assert_eq!(root.retire_previous().unwrap(), 1);
    let (after, _) = FileRootKey::open_or_create(&path).unwrap();
    assert_eq!(after.key_ids(), vec![id]);
    assert!(after.unseal(&old, b"a").is_err(), "the old key is gone");
    assert_eq!(after.unseal(&new, b"a").unwrap().as_slice(), b"new");
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the rewritten file is private too");
    }
}

#[test]
#[allow(clippy::unwrap_used)]
fn a_passphrase_protected_ring_rotates_without_asking_again() {
    let dir = tempfile::tempdir().unwrap();
    let (enc, plain) = (dir.path().join("root.key.enc"), dir.path().join("root.key"));
    let pass = Secret::from_slice(b"passphrase");
    let (root, _) = FileRootKey::open_or_create_with_passphrase(&enc, &plain, &pass).unwrap();
    let old = root.seal(b"old", b"").unwrap();
    root.begin_rotation().unwrap();
    let new = root.seal(b"new", b"").unwrap();
    let (reopened, _) = FileRootKey::open_or_create_with_passphrase(&enc, &plain, &pass).unwrap();
    assert_eq!(reopened.key_count(), 2);
    assert_eq!(reopened.unseal(&old, b"").unwrap().as_slice(), b"old");
    root.retire_previous().unwrap();
    let (after, _) = FileRootKey::open_or_create_with_passphrase(&enc, &plain, &pass).unwrap();
    assert_eq!(after.key_count(), 1);
    assert_eq!(after.unseal(&new, b"").unwrap().as_slice(), b"new");
    assert!(after.unseal(&old, b"").is_err());
    // No key in the clear in the file, and a plain key is not made beside it.
    let text = std::fs::read_to_string(&enc).unwrap();
    let key_hex = hex::encode(after.ring.read().unwrap()[0].bytes.as_ref());
    assert!(!text.contains(&key_hex));
    assert!(matches!(
        FileRootKey::open_or_create_plain(&plain, Some(&enc)),
        Err(RootKeyError::PassphraseNeeded(_))
    ));
    assert!(!plain.exists());
}

#[test]
#[allow(clippy::unwrap_used)]
fn a_plain_ring_is_given_a_passphrase_and_the_passphrase_changes() {
    let dir = tempfile::tempdir().unwrap();
    let (enc, plain) = (dir.path().join("root.key.enc"), dir.path().join("root.key"));
    let (root, _) = FileRootKey::open_or_create(&plain).unwrap();
    let sealed = root.seal(b"kept", b"x").unwrap();
    let first = Secret::from_slice(b"first");
    root.save_with_passphrase(&enc, &first).unwrap();
    std::fs::remove_file(&plain).unwrap();
    let (opened, created) =
        FileRootKey::open_or_create_with_passphrase(&enc, &plain, &first).unwrap();
    assert!(!created);
    assert_eq!(opened.unseal(&sealed, b"x").unwrap().as_slice(), b"kept");
    let second = Secret::from_slice(b"second");
    opened.save_with_passphrase(&enc, &second).unwrap();
    assert!(matches!(
        FileRootKey::open_or_create_with_passphrase(&enc, &plain, &first),
        Err(RootKeyError::WrongPassphrase(_))
    ));
    let (again, _) = FileRootKey::open_or_create_with_passphrase(&enc, &plain, &second).unwrap();
    assert_eq!(again.unseal(&sealed, b"x").unwrap().as_slice(), b"kept");
}

#[test]
#[allow(clippy::unwrap_used)]
fn an_abandoned_rotation_leaves_the_ring_as_it_was_and_two_key_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (plain, enc) = (dir.path().join("root.key"), dir.path().join("root.key.enc"));
    let (root, _) = FileRootKey::open_or_create(&plain).unwrap();
    let before = root.key_ids();
    root.begin_rotation().unwrap();
    root.abandon_rotation().unwrap();
    assert_eq!(root.key_ids(), before);
    let (reopened, _) = FileRootKey::open_or_create(&plain).unwrap();
    assert_eq!(reopened.key_ids(), before, "on disk too");
    // A plain key and a passphrase-protected one side by side: neither start picks one.
    let pass = Secret::from_slice(b"p");
    root.save_with_passphrase(&enc, &pass).unwrap();
    assert!(matches!(
        FileRootKey::open_or_create_plain(&plain, Some(&enc)),
        Err(RootKeyError::BothKeyFiles(..))
    ));
    assert!(matches!(
        FileRootKey::open_or_create_with_passphrase(&enc, &plain, &pass),
        Err(RootKeyError::BothKeyFiles(..))
    ));
    // An absurd KDF cost in the file is refused before any work.
    std::fs::remove_file(&plain).unwrap();
    let text = std::fs::read_to_string(&enc).unwrap();
    std::fs::write(&enc, text.replace("m=65536", "m=4294967295")).unwrap();
    assert!(matches!(
        FileRootKey::open_or_create_with_passphrase(&enc, &plain, &pass),
        Err(RootKeyError::Malformed(_))
    ));
}
