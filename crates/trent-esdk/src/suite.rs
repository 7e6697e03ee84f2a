//! The algorithm suites: both commit to their data key (HKDF-SHA512), encrypt with
//! AES-256-GCM, and one adds an ECDSA P-384 signature over the whole message.

/// An ESDK algorithm suite of message format version 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Suite {
    /// `0x0478` `AES_256_GCM_HKDF_SHA512_COMMIT_KEY`, the SDK's default.
    Committing,
    /// `0x0578` `AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384`.
    CommittingSigned,
}

impl Suite {
    /// The suite's two-byte id.
    pub fn id(self) -> u16 {
        match self {
            Suite::Committing => 0x0478,
            Suite::CommittingSigned => 0x0578,
        }
    }

    pub fn from_id(id: u16) -> Option<Suite> {
        match id {
            0x0478 => Some(Suite::Committing),
            0x0578 => Some(Suite::CommittingSigned),
            _ => None,
        }
    }

    /// The SDK's name for the suite.
    pub fn name(self) -> &'static str {
        match self {
            Suite::Committing => "AES_256_GCM_HKDF_SHA512_COMMIT_KEY",
            Suite::CommittingSigned => "AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384",
        }
    }

    pub fn from_name(name: &str) -> Option<Suite> {
        [Suite::Committing, Suite::CommittingSigned]
            .into_iter()
            .find(|s| s.name() == name)
    }

    pub fn signed(self) -> bool {
        self == Suite::CommittingSigned
    }
}

/// The data key and derived keys are 32 bytes; IVs 12; tags 16; the commitment 32.
pub const KEY_LEN: usize = 32;
pub const IV_LEN: usize = 12;
pub const TAG_LEN: usize = 16;
pub const COMMIT_LEN: usize = 32;
pub const MESSAGE_ID_LEN: usize = 32;
