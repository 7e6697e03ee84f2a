//! Message tests with an in-memory keyring: round trips for both suites and every frame
//! boundary, and every kind of damage refused (flipped bytes, truncation, reordered frames,
//! another data key, an unsigned message where a signed one is demanded).

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::*;
use crate::Keyring;
use crate::header::EncryptedDataKey;

/// Wraps data keys with AES-256-GCM under a fixed key; the context is the AAD.
struct TestKeyring {
    wrapping: LessSafeKey,
    calls: usize,
}

impl TestKeyring {
    fn new(seed: u8) -> TestKeyring {
        TestKeyring {
            wrapping: LessSafeKey::new(UnboundKey::new(&aead::AES_256_GCM, &[seed; 32]).unwrap()),
            calls: 0,
        }
    }
}

fn context_aad(context: &EncryptionContext) -> Vec<u8> {
    crate::header::serialize_context(context).unwrap()
}

impl Keyring for TestKeyring {
    fn generate(
        &mut self,
        _suite: Suite,
        context: &EncryptionContext,
    ) -> Result<(DataKey, Vec<EncryptedDataKey>), Error> {
        self.calls += 1;
        let mut key = [0u8; 32];
        rand::fill(&mut key).unwrap();
        let mut iv = [0u8; 12];
        rand::fill(&mut iv).unwrap();
        let mut sealed = key.to_vec();
        self.wrapping
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(iv),
                Aad::from(context_aad(context)),
                &mut sealed,
            )
            .unwrap();
        let mut blob = iv.to_vec();
        blob.extend(sealed);
        Ok((
            DataKey::from_slice(&key).unwrap(),
            vec![EncryptedDataKey::kms(
                "arn:aws:kms:us-east-1:111122223333:key/test",
                blob,
            )],
        ))
    }

    fn unwrap(
        &mut self,
        _suite: Suite,
        keys: &[EncryptedDataKey],
        context: &EncryptionContext,
    ) -> Result<DataKey, Error> {
        self.calls += 1;
        for k in keys {
            if k.ciphertext.len() < 12 {
                continue;
            }
            let (iv, sealed) = k.ciphertext.split_at(12);
            let mut sealed = sealed.to_vec();
            if let Ok(plain) = self.wrapping.open_in_place(
                Nonce::assume_unique_for_key(iv.try_into().unwrap()),
                Aad::from(context_aad(context)),
                &mut sealed,
            ) {
                return DataKey::from_slice(plain);
            }
        }
        Err(Error::Keyring("no encrypted data key opens".into()))
    }
}

fn context() -> EncryptionContext {
    [
        ("purpose".to_owned(), "test".to_owned()),
        ("a".to_owned(), "b".to_owned()),
    ]
    .into()
}

fn seal(suite: Suite, frame: u32, plain: &[u8]) -> Vec<u8> {
    let mut e = Encryptor::new(suite, context());
    e.frame_length = frame;
    let mut out = Vec::new();
    e.encrypt(&mut TestKeyring::new(1), &mut &plain[..], &mut out)
        .unwrap();
    out
}

fn open(message: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    decrypt(&mut TestKeyring::new(1), &mut &message[..], &mut out)?;
    Ok(out)
}

#[test]
fn round_trips_at_every_frame_boundary() {
    for suite in [Suite::Committing, Suite::CommittingSigned] {
        for len in [0usize, 1, 63, 64, 65, 128, 200, 1000] {
            let plain: Vec<u8> = (0..len).map(|i| u8::try_from(i % 251).unwrap()).collect();
            let message = seal(suite, 64, &plain);
            assert_eq!(open(&message).unwrap(), plain, "{suite:?} {len}");
        }
    }
}

#[test]
fn the_header_says_what_it_holds() {
    let message = seal(Suite::CommittingSigned, 4096, b"x");
    let (header, _, _) = Header::read(&mut &message[..]).unwrap();
    assert_eq!(header.suite, Suite::CommittingSigned);
    assert_eq!(header.frame_length, 4096);
    assert_eq!(
        header.context.get("purpose").map(String::as_str),
        Some("test")
    );
    // The verification key: a compressed P-384 point, base64.
    let key = header.context.get(PUBLIC_KEY_CONTEXT_KEY).unwrap();
    let point = base64::engine::general_purpose::STANDARD
        .decode(key)
        .unwrap();
    assert_eq!(point.len(), 49);
    assert!(point[0] == 2 || point[0] == 3);
    assert_eq!(header.keys.len(), 1);
    assert_eq!(message[0], 2, "format version 2");
    assert_eq!(&message[1..3], &[0x05, 0x78]);
}

#[test]
fn any_flipped_byte_is_refused() {
    for suite in [Suite::Committing, Suite::CommittingSigned] {
        let message = seal(suite, 16, b"forty bytes of plaintext, three frames");
        for i in 0..message.len() {
            let mut m = message.clone();
            m[i] ^= 0x01;
            assert!(
                open(&m).is_err(),
                "{suite:?}: byte {i} of {}",
                message.len()
            );
        }
    }
}

#[test]
fn every_truncation_is_refused() {
    for suite in [Suite::Committing, Suite::CommittingSigned] {
        let message = seal(suite, 16, b"forty bytes of plaintext, three frames");
        for cut in 0..message.len() {
            let err = open(&message[..cut]).unwrap_err();
            assert!(
                matches!(err, Error::Truncated | Error::Malformed(_)),
                "{suite:?} cut at {cut}: {err}"
            );
        }
        let mut longer = message.clone();
        longer.push(0);
        assert!(matches!(open(&longer), Err(Error::Malformed(_))));
    }
}

#[test]
fn reordered_frames_are_refused() {
    let message = seal(Suite::Committing, 16, &[7u8; 40]);
    let (_, body, _) = Header::read(&mut &message[..]).unwrap();
    let start = body.len() + TAG_LEN;
    let regular = 4 + IV_LEN + 16 + TAG_LEN;
    let mut m = message.clone();
    let (first, second) = (start..start + regular, start + regular..start + 2 * regular);
    let a = message[first.clone()].to_vec();
    let b = message[second.clone()].to_vec();
    m[first].copy_from_slice(&b);
    m[second].copy_from_slice(&a);
    assert!(matches!(open(&m), Err(Error::Tampered("the frame order"))));
}

#[test]
fn another_data_key_fails_the_commitment() {
    // A message whose encrypted data key is replaced by one for another data key (the
    // attack key commitment exists for): the header still parses, the commitment does not.
    let message = seal(Suite::Committing, 64, b"committed");
    let (mut header, body, _) = Header::read(&mut &message[..]).unwrap();
    let mut keyring = TestKeyring::new(1);
    let (_, other_keys) = keyring
        .generate(Suite::Committing, &header.context)
        .unwrap();
    header.keys = other_keys;
    let new_body = header.body_bytes().unwrap();
    let mut forged = new_body.clone();
    forged.extend_from_slice(&message[body.len()..]);
    assert!(matches!(open(&forged), Err(Error::Commitment)));
}

#[test]
fn policies_are_enforced() {
    let unsigned = seal(Suite::Committing, 64, b"x");
    let strict = Decryptor {
        require_signed: true,
        ..Decryptor::default()
    };
    let err = strict
        .decrypt(
            &mut TestKeyring::new(1),
            &mut &unsigned[..],
            &mut Vec::new(),
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("a signed suite was demanded"),
        "{err}"
    );
    let signed = seal(Suite::CommittingSigned, 64, b"x");
    strict
        .decrypt(&mut TestKeyring::new(1), &mut &signed[..], &mut Vec::new())
        .unwrap();
    let wants = Decryptor {
        required_context: [("purpose".to_owned(), "other".to_owned())].into(),
        ..Decryptor::default()
    };
    assert!(matches!(
        wants.decrypt(&mut TestKeyring::new(1), &mut &signed[..], &mut Vec::new()),
        Err(Error::Policy(_))
    ));
    // The reserved context key, and a wrong keyring.
    let mut reserved = context();
    reserved.insert(PUBLIC_KEY_CONTEXT_KEY.to_owned(), "x".to_owned());
    assert!(matches!(
        Encryptor::new(Suite::Committing, reserved).encrypt(
            &mut TestKeyring::new(1),
            &mut &b"x"[..],
            &mut Vec::new()
        ),
        Err(Error::Policy(_))
    ));
    assert!(matches!(
        decrypt(&mut TestKeyring::new(2), &mut &signed[..], &mut Vec::new()),
        Err(Error::Keyring(_))
    ));
}

#[test]
fn no_plaintext_of_a_tampered_frame_is_written() {
    let plain = [9u8; 100];
    let message = seal(Suite::Committing, 32, &plain);
    // Damage the second frame: the first frame's plaintext is written, nothing of the second.
    let (_, body, _) = Header::read(&mut &message[..]).unwrap();
    let second = body.len() + TAG_LEN + (4 + IV_LEN + 32 + TAG_LEN) + 4 + IV_LEN + 3;
    let mut m = message.clone();
    m[second] ^= 0x80;
    let mut out = Vec::new();
    assert!(decrypt(&mut TestKeyring::new(1), &mut &m[..], &mut out).is_err());
    assert_eq!(out, plain[..32].to_vec());
}

proptest::proptest! {
    #[test]
    fn any_plaintext_and_frame_length_round_trips(
        plain in proptest::collection::vec(proptest::num::u8::ANY, 0..600),
        frame in 1u32..200,
        signed in proptest::bool::ANY,
    ) {
        let suite = if signed { Suite::CommittingSigned } else { Suite::Committing };
        let message = seal(suite, frame, &plain);
        proptest::prop_assert_eq!(open(&message).unwrap(), plain);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
        let _ = open(&bytes);
        crate::fuzzing::message(&bytes);
    }
}
