//! The domain vocabulary: identifiers, keys and their states, aliases, tags, identities,
//! encryption contexts.

mod audit;
mod context;
pub mod grant;
mod identity;
mod ids;
mod key;
mod key_store;
mod spec;

pub use audit::{AuditCursor, AuditDigest, AuditEntry, AuditQuery, AuditRecord};
pub use context::EncryptionContext;
pub use grant::{GRANT_OPERATIONS, GrantRecord};
pub use identity::{
    AccessKeyRecord, AccountRecord, AuditNote, AuditNotes, NamedPolicy, Principal, PrincipalKind,
    PrincipalRecord, PrincipalType, RequestContext, SessionRecord,
};
pub use ids::{AccountId, AliasName, KeyId, KeyRef, MaterialId, Region};
pub use key::{
    AliasRecord, EncapsulationAlgorithm, EncryptionAlgorithm, ExpirationModel, ImportToken,
    KeyAgreementAlgorithm, KeyManager, KeyRecord, KeySpec, KeyState, KeyUsage, LastUsage,
    MacAlgorithm, MessageType, Origin, Rotation, RotationType, Scope, SealedMaterial,
    SigningAlgorithm, Tag, WrappingAlgorithm, WrappingKeySpec,
};
pub use key_store::{
    ConnectionErrorCode, ConnectionState, CustomKeyStoreId, KeyStoreRecord, KeyStoreType,
    XksProxyConnectivity, XksProxySettings, is_cluster_id,
};
pub use spec::KeyFamily;

/// A point in time: milliseconds since the Unix epoch, UTC.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixMillis(pub i64);

impl UnixMillis {
    pub const DAY: i64 = 86_400_000;

    /// This instant plus a number of days.
    pub fn plus_days(self, days: u32) -> UnixMillis {
        UnixMillis(
            self.0
                .saturating_add(i64::from(days).saturating_mul(Self::DAY)),
        )
    }
}
