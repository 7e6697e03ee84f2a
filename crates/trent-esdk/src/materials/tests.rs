//! The data key cache: reuse within age, message and byte limits, by context and suite, for
//! decryption too; counted with a keyring that counts its calls, on an injected clock.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::*;
use crate::message::{Decryptor, Encryptor};

/// Hands out random data keys and remembers them by their "encrypted" form (a counter).
#[derive(Default)]
struct Counting {
    keys: HashMap<Vec<u8>, [u8; 32]>,
    generated: usize,
    unwrapped: usize,
}

impl Keyring for Counting {
    fn generate(
        &mut self,
        _suite: Suite,
        _context: &EncryptionContext,
    ) -> Result<(DataKey, Vec<EncryptedDataKey>), Error> {
        self.generated += 1;
        let mut key = [0u8; 32];
        aws_lc_rs::rand::fill(&mut key).unwrap();
        let id = self.generated.to_be_bytes().to_vec();
        self.keys.insert(id.clone(), key);
        Ok((
            DataKey::from_slice(&key).unwrap(),
            vec![EncryptedDataKey::kms(
                "arn:aws:kms:us-east-1:111122223333:key/k",
                id,
            )],
        ))
    }

    fn unwrap(
        &mut self,
        _suite: Suite,
        keys: &[EncryptedDataKey],
        _context: &EncryptionContext,
    ) -> Result<DataKey, Error> {
        self.unwrapped += 1;
        let key = self
            .keys
            .get(&keys[0].ciphertext)
            .ok_or_else(|| Error::Keyring("unknown".into()))?;
        DataKey::from_slice(key)
    }
}

struct Clock(Arc<AtomicU64>);

impl Clock {
    fn new() -> (Clock, Box<dyn Fn() -> Duration + Send>) {
        let millis = Arc::new(AtomicU64::new(0));
        let read = millis.clone();
        (
            Clock(millis),
            Box::new(move || Duration::from_millis(read.load(Ordering::Relaxed))),
        )
    }
    fn advance(&self, d: Duration) {
        self.0
            .fetch_add(u64::try_from(d.as_millis()).unwrap(), Ordering::Relaxed);
    }
}

fn limits(messages: u64, bytes: u64) -> CacheLimits {
    CacheLimits {
        max_age: Duration::from_secs(60),
        max_messages: messages,
        max_bytes: bytes,
        capacity: 10,
    }
}

fn context(v: &str) -> EncryptionContext {
    [("app".to_owned(), v.to_owned())].into()
}

/// Encrypts `plain` through `cache`, telling it the length (or not).
fn seal(
    cache: &mut CachingManager<Counting>,
    suite: Suite,
    ctx: &EncryptionContext,
    plain: &[u8],
    tell: bool,
) -> Vec<u8> {
    let mut e = Encryptor::new(suite, ctx.clone());
    e.plaintext_len = tell.then(|| u64::try_from(plain.len()).unwrap());
    let mut out = Vec::new();
    e.encrypt(cache, &mut &plain[..], &mut out).unwrap();
    out
}

#[test]
fn messages_share_a_data_key_up_to_the_message_limit() {
    let (_clock, read) = Clock::new();
    let mut cache = CachingManager::with_clock(Counting::default(), limits(3, 1 << 20), read);
    let messages: Vec<Vec<u8>> = (0..5)
        .map(|_| seal(&mut cache, Suite::Committing, &context("a"), b"small", true))
        .collect();
    assert_eq!(cache.inner().generated, 2, "3 messages, then 2 more");
    // Same data key, yet each message has its own id (and so its own derived key).
    assert_ne!(messages[0][3..35], messages[1][3..35]);
    for m in &messages {
        let mut out = Vec::new();
        Decryptor::default()
            .decrypt(&mut cache, &mut &m[..], &mut out)
            .unwrap();
        assert_eq!(out, b"small");
    }
    assert_eq!(cache.inner().unwrapped, 2, "one unwrap per data key");
}

#[test]
fn the_byte_limit_and_unknown_lengths() {
    let (_clock, read) = Clock::new();
    let mut cache = CachingManager::with_clock(Counting::default(), limits(100, 25), read);
    for _ in 0..5 {
        seal(
            &mut cache,
            Suite::Committing,
            &context("a"),
            &[1u8; 10],
            true,
        );
    }
    assert_eq!(cache.inner().generated, 3, "20 bytes, 20 bytes, 10 bytes");
    // A message longer than the limit, or of unknown length, gets its own data key.
    seal(
        &mut cache,
        Suite::Committing,
        &context("a"),
        &[1u8; 30],
        true,
    );
    seal(
        &mut cache,
        Suite::Committing,
        &context("a"),
        &[1u8; 1],
        false,
    );
    seal(
        &mut cache,
        Suite::Committing,
        &context("a"),
        &[1u8; 1],
        false,
    );
    assert_eq!(cache.inner().generated, 6);
}

#[test]
fn entries_age_out_and_contexts_and_suites_stay_apart() {
    let (clock, read) = Clock::new();
    let mut cache = CachingManager::with_clock(Counting::default(), limits(100, 1 << 20), read);
    seal(&mut cache, Suite::Committing, &context("a"), b"x", true);
    seal(&mut cache, Suite::Committing, &context("a"), b"x", true);
    assert_eq!(cache.inner().generated, 1);
    seal(&mut cache, Suite::Committing, &context("b"), b"x", true);
    seal(
        &mut cache,
        Suite::CommittingSigned,
        &context("a"),
        b"x",
        true,
    );
    assert_eq!(cache.inner().generated, 3, "another context, another suite");
    clock.advance(Duration::from_secs(61));
    seal(&mut cache, Suite::Committing, &context("a"), b"x", true);
    assert_eq!(cache.inner().generated, 4, "too old");
}

#[test]
fn signed_messages_share_their_signing_key_with_their_data_key() {
    let (_clock, read) = Clock::new();
    let mut cache = CachingManager::with_clock(Counting::default(), limits(100, 1 << 20), read);
    let a = seal(
        &mut cache,
        Suite::CommittingSigned,
        &context("a"),
        b"one",
        true,
    );
    let b = seal(
        &mut cache,
        Suite::CommittingSigned,
        &context("a"),
        b"two",
        true,
    );
    assert_eq!(cache.inner().generated, 1);
    for (m, want) in [(a, b"one"), (b, b"two")] {
        let mut out = Vec::new();
        Decryptor {
            require_signed: true,
            ..Decryptor::default()
        }
        .decrypt(&mut cache, &mut &m[..], &mut out)
        .unwrap();
        assert_eq!(out, want);
    }
}

#[test]
fn decryption_keys_age_out() {
    let (clock, read) = Clock::new();
    let mut cache = CachingManager::with_clock(Counting::default(), limits(100, 1 << 20), read);
    let m = seal(&mut cache, Suite::Committing, &context("a"), b"x", true);
    for _ in 0..3 {
        Decryptor::default()
            .decrypt(&mut cache, &mut &m[..], &mut Vec::new())
            .unwrap();
    }
    assert_eq!(cache.inner().unwrapped, 1);
    clock.advance(Duration::from_secs(61));
    Decryptor::default()
        .decrypt(&mut cache, &mut &m[..], &mut Vec::new())
        .unwrap();
    assert_eq!(cache.inner().unwrapped, 2);
}
