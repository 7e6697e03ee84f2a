//! The message header (format version 2): suite, message id, encryption context, encrypted data
//! keys, framing and the commitment; serialized big-endian with 16-bit length prefixes.

use std::collections::BTreeMap;
use std::io::Read;

use crate::error::Error;
use crate::suite::{COMMIT_LEN, MESSAGE_ID_LEN, Suite, TAG_LEN};

/// The encryption context: sorted by key, as UTF-8 bytes (the order the format requires).
pub type EncryptionContext = BTreeMap<String, String>;

/// The context key the signed suite stores its verification key under.
pub const PUBLIC_KEY_CONTEXT_KEY: &str = "aws-crypto-public-key";

/// The provider id of AWS KMS keys; their provider info is the key ARN.
pub const KMS_PROVIDER_ID: &str = "aws-kms";

/// Content type 2: framed.
const FRAMED: u8 = 0x02;
const VERSION: u8 = 0x02;
/// Limits a reader enforces, so that a hostile header cannot make it allocate without bound.
pub const MAX_FRAME_LENGTH: u32 = 64 * 1024 * 1024;
pub const MAX_ENCRYPTED_DATA_KEYS: u16 = 256;

/// One encrypted copy of the data key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EncryptedDataKey {
    /// `aws-kms` for KMS keys.
    pub provider_id: String,
    /// For KMS keys, the key ARN.
    pub provider_info: Vec<u8>,
    /// For KMS keys, the KMS ciphertext blob.
    pub ciphertext: Vec<u8>,
}

impl EncryptedDataKey {
    /// A data key encrypted under the KMS key `arn`.
    pub fn kms(arn: &str, ciphertext: Vec<u8>) -> EncryptedDataKey {
        EncryptedDataKey {
            provider_id: KMS_PROVIDER_ID.to_owned(),
            provider_info: arn.as_bytes().to_vec(),
            ciphertext,
        }
    }

    /// The KMS key ARN of a KMS-encrypted data key.
    pub fn kms_arn(&self) -> Option<&str> {
        (self.provider_id == KMS_PROVIDER_ID)
            .then(|| std::str::from_utf8(&self.provider_info).ok())
            .flatten()
    }
}

/// A parsed header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub suite: Suite,
    pub message_id: [u8; MESSAGE_ID_LEN],
    pub context: EncryptionContext,
    pub keys: Vec<EncryptedDataKey>,
    pub frame_length: u32,
    /// The commitment key: the data key's commitment to this message.
    pub commitment: [u8; COMMIT_LEN],
}

fn u16_len(len: usize, what: &str) -> Result<[u8; 2], Error> {
    u16::try_from(len)
        .map(u16::to_be_bytes)
        .map_err(|_| Error::Malformed(format!("{what} is longer than 65,535 bytes")))
}

fn put_short(out: &mut Vec<u8>, bytes: &[u8], what: &str) -> Result<(), Error> {
    out.extend_from_slice(&u16_len(bytes.len(), what)?);
    out.extend_from_slice(bytes);
    Ok(())
}

/// The serialized encryption context (the header's AAD field without its own length).
pub fn serialize_context(context: &EncryptionContext) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    if context.is_empty() {
        return Ok(out);
    }
    out.extend_from_slice(&u16_len(context.len(), "the encryption context")?);
    for (k, v) in context {
        put_short(&mut out, k.as_bytes(), "an encryption context key")?;
        put_short(&mut out, v.as_bytes(), "an encryption context value")?;
    }
    Ok(out)
}

impl Header {
    /// The header body's bytes: what the header tag authenticates.
    pub fn body_bytes(&self) -> Result<Vec<u8>, Error> {
        let mut out = vec![VERSION];
        out.extend_from_slice(&self.suite.id().to_be_bytes());
        out.extend_from_slice(&self.message_id);
        let aad = serialize_context(&self.context)?;
        put_short(&mut out, &aad, "the encryption context")?;
        if self.keys.is_empty() {
            return Err(Error::Malformed(
                "a message needs an encrypted data key".into(),
            ));
        }
        out.extend_from_slice(&u16_len(self.keys.len(), "the encrypted data keys")?);
        for key in &self.keys {
            put_short(&mut out, key.provider_id.as_bytes(), "a key provider id")?;
            put_short(&mut out, &key.provider_info, "a key provider info")?;
            put_short(&mut out, &key.ciphertext, "an encrypted data key")?;
        }
        out.push(FRAMED);
        out.extend_from_slice(&self.frame_length.to_be_bytes());
        out.extend_from_slice(&self.commitment);
        Ok(out)
    }

    /// Reads a header body and its tag from `r`; returns the header, the body's bytes and the tag.
    pub fn read<R: Read + ?Sized>(r: &mut R) -> Result<(Header, Vec<u8>, [u8; TAG_LEN]), Error> {
        let mut reader = Recorder {
            inner: r,
            seen: Vec::new(),
        };
        let version = reader.u8()?;
        if version != VERSION {
            return Err(Error::Malformed(format!(
                "message format version {version} (only version 2, the committing format, is read)"
            )));
        }
        let id = reader.u16()?;
        let suite = Suite::from_id(id).ok_or_else(|| {
            Error::Malformed(format!(
                "algorithm suite 0x{id:04x} (only the committing suites 0x0478 and 0x0578 are read)"
            ))
        })?;
        let mut message_id = [0u8; MESSAGE_ID_LEN];
        reader.exact(&mut message_id)?;
        let aad = reader.short()?;
        let context = parse_context(&aad)?;
        let count = reader.u16()?;
        if count == 0 {
            return Err(Error::Malformed("no encrypted data key".into()));
        }
        if count > MAX_ENCRYPTED_DATA_KEYS {
            return Err(Error::Malformed(format!(
                "{count} encrypted data keys (at most {MAX_ENCRYPTED_DATA_KEYS})"
            )));
        }
        let mut keys = Vec::new();
        for _ in 0..count {
            let provider_id = String::from_utf8(reader.short()?)
                .map_err(|_| Error::Malformed("a key provider id is not UTF-8".into()))?;
            keys.push(EncryptedDataKey {
                provider_id,
                provider_info: reader.short()?,
                ciphertext: reader.short()?,
            });
        }
        let content = reader.u8()?;
        if content != FRAMED {
            return Err(Error::Malformed(format!(
                "content type {content} (only framed messages are read)"
            )));
        }
        let frame_length = reader.u32()?;
        if frame_length == 0 || frame_length > MAX_FRAME_LENGTH {
            return Err(Error::Malformed(format!(
                "frame length {frame_length} (1 to {MAX_FRAME_LENGTH})"
            )));
        }
        let mut commitment = [0u8; COMMIT_LEN];
        reader.exact(&mut commitment)?;
        let body = std::mem::take(&mut reader.seen);
        let mut tag = [0u8; TAG_LEN];
        reader.exact(&mut tag)?;
        Ok((
            Header {
                suite,
                message_id,
                context,
                keys,
                frame_length,
                commitment,
            },
            body,
            tag,
        ))
    }
}

/// Parses a serialized encryption context: sorted, no duplicates, UTF-8.
pub fn parse_context(aad: &[u8]) -> Result<EncryptionContext, Error> {
    let mut context = EncryptionContext::new();
    if aad.is_empty() {
        return Ok(context);
    }
    let mut r = aad;
    let mut reader = Recorder {
        inner: &mut r,
        seen: Vec::new(),
    };
    let count = reader.u16()?;
    if count == 0 {
        return Err(Error::Malformed(
            "an empty encryption context with a count".into(),
        ));
    }
    let mut last: Option<String> = None;
    for _ in 0..count {
        let text = |b: Vec<u8>| {
            String::from_utf8(b)
                .map_err(|_| Error::Malformed("the encryption context is not UTF-8".into()))
        };
        let key = text(reader.short()?)?;
        let value = text(reader.short()?)?;
        if last.as_ref().is_some_and(|l| *l >= key) {
            return Err(Error::Malformed(
                "the encryption context is not sorted or has a duplicate key".into(),
            ));
        }
        last = Some(key.clone());
        context.insert(key, value);
    }
    if !r.is_empty() {
        return Err(Error::Malformed(
            "bytes after the encryption context".into(),
        ));
    }
    Ok(context)
}

/// Reads big-endian fields, keeping every byte it read.
struct Recorder<'a, R: Read + ?Sized> {
    inner: &'a mut R,
    seen: Vec<u8>,
}

impl<R: Read + ?Sized> Recorder<'_, R> {
    fn exact(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        read_exact(self.inner, buf)?;
        self.seen.extend_from_slice(buf);
        Ok(())
    }
    fn u8(&mut self) -> Result<u8, Error> {
        let mut b = [0u8; 1];
        self.exact(&mut b)?;
        let [x] = b;
        Ok(x)
    }
    fn u16(&mut self) -> Result<u16, Error> {
        let mut b = [0u8; 2];
        self.exact(&mut b)?;
        Ok(u16::from_be_bytes(b))
    }
    fn u32(&mut self) -> Result<u32, Error> {
        let mut b = [0u8; 4];
        self.exact(&mut b)?;
        Ok(u32::from_be_bytes(b))
    }
    /// A 16-bit length and that many bytes.
    fn short(&mut self) -> Result<Vec<u8>, Error> {
        let len = usize::from(self.u16()?);
        let mut v = vec![0u8; len];
        self.exact(&mut v)?;
        Ok(v)
    }
}

/// `read_exact`, with the end of the input reported as a truncated message.
pub(crate) fn read_exact<R: Read + ?Sized>(r: &mut R, buf: &mut [u8]) -> Result<(), Error> {
    r.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => Error::Truncated,
        _ => Error::Io(e),
    })
}
