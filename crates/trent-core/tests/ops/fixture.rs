//! The fixture: a real `Kms` wired as the server wires it, but in memory and on a fixed clock,
//! with two accounts whose root principals act.

use std::collections::BTreeMap;
use std::sync::Arc;

use tempfile::TempDir;
use trent_core::Kms;
use trent_core::model::{
    AccountId, AccountRecord, EncryptionContext, KeyRecord, KeySpec, KeyUsage, Principal, Region,
    RequestContext, Scope, UnixMillis,
};
use trent_core::ops::encrypt::DecryptInput;
use trent_core::ops::keys::CreateKeyInput;
use trent_core::store::Store;
use trent_core::testing::FixedClock;
use trent_crypto::{FileRootKey, SoftBackend};
use trent_store::SqliteStore;

/// The account that owns the keys the tests make.
pub const OWNER: &str = "111122223333";
/// Another account, for cross-account calls and grants.
pub const OTHER: &str = "444455556666";
pub const REGION: &str = "us-east-1";
/// Where the clock starts: 2026-01-01T00:00:00Z.
pub const START: UnixMillis = UnixMillis(1_767_225_600_000);
/// A day, in milliseconds, spelled out rather than taken from the code under test.
pub const DAY_MILLIS: i64 = 86_400_000;

#[derive(Debug)]
pub struct Fixture {
    pub kms: Kms,
    /// The store under the `Kms`, to look underneath it.
    pub store: Arc<SqliteStore>,
    /// The clock the `Kms` reads; moving it moves the `Kms`'s "now".
    pub clock: FixedClock,
    /// Holds the root key file for as long as the fixture lives.
    _dir: TempDir,
}

impl Fixture {
    /// A fresh `Kms`: empty in-memory store, new root key, the clock at [`START`], and the
    /// accounts [`OWNER`] and [`OTHER`] registered and loaded into the identity directory.
    pub async fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (root, created) = FileRootKey::open_or_create_plain(&dir.path().join("root.key"), None)
            .expect("a root key");
        assert!(created, "the root key is new");
        let store = Arc::new(SqliteStore::in_memory().expect("an in-memory store"));
        let clock = FixedClock::new(START);
        let kms = Kms::new(
            store.clone(),
            Arc::new(SoftBackend),
            Arc::new(root),
            Arc::new(clock.clone()),
        );
        kms.check_root_key()
            .await
            .expect("the root key opens the store");
        for account in [OWNER, OTHER] {
            store
                .put_account(&AccountRecord {
                    id: account_id(account),
                    regions: vec![region()],
                })
                .await
                .expect("account stored");
        }
        kms.reload_identities().await.expect("identities loaded");
        Fixture {
            kms,
            store,
            clock,
            _dir: dir,
        }
    }

    /// The root principal of [`OWNER`], in [`REGION`].
    pub fn owner(&self) -> RequestContext {
        root_ctx(OWNER)
    }

    /// The root principal of [`OTHER`], in [`REGION`].
    pub fn other(&self) -> RequestContext {
        root_ctx(OTHER)
    }

    /// The owner's account and region, where its keys live.
    pub fn scope(&self) -> Scope {
        Scope {
            account: account_id(OWNER),
            region: region(),
        }
    }

    /// Creates a key as the owner.
    pub async fn create(&self, input: CreateKeyInput) -> KeyRecord {
        self.kms
            .create_key(&self.owner(), input)
            .await
            .expect("key created")
    }

    /// A symmetric encryption key of the owner's.
    pub async fn symmetric_key(&self) -> KeyRecord {
        self.create(CreateKeyInput::default()).await
    }

    /// An HMAC_256 key of the owner's.
    pub async fn hmac_key(&self) -> KeyRecord {
        self.create(CreateKeyInput {
            spec: Some(KeySpec::Hmac256),
            usage: Some(KeyUsage::GenerateVerifyMac),
            ..CreateKeyInput::default()
        })
        .await
    }
}

pub fn account_id(id: &str) -> AccountId {
    AccountId::parse(id).expect("an account id")
}

pub fn region() -> Region {
    Region::parse(REGION).expect("a region")
}

fn root_ctx(account: &str) -> RequestContext {
    RequestContext::new(Principal::root(account_id(account)), region(), "ops-test")
}

/// An encryption context of the given pairs.
pub fn context(pairs: &[(&str, &str)]) -> EncryptionContext {
    EncryptionContext(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<BTreeMap<String, String>>(),
    )
}

/// Decrypt's input for `ciphertext` under `context`, naming no key.
pub fn decrypt_input<'a>(ciphertext: &'a [u8], context: &'a EncryptionContext) -> DecryptInput<'a> {
    DecryptInput {
        ciphertext,
        context,
        key: None,
        algorithm: None,
        ignore_ciphertext: false,
    }
}

/// `START` plus a number of days, computed here rather than by the code under test.
pub fn days_after_start(days: u32) -> UnixMillis {
    UnixMillis(START.0 + i64::from(days) * DAY_MILLIS)
}
