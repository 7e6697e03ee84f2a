//! Framed encryption and decryption of a whole message in constant memory: key derivation and
//! commitment (HKDF-SHA512), the header tag, AES-256-GCM frames, and for the signed suite the
//! ECDSA P-384 signature over everything before the footer.

use std::io::{Read, Write};

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::signature::{self, EcdsaKeyPair};
use aws_lc_rs::{digest, hkdf, rand};
use base64::Engine as _;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::header::{
    EncryptionContext, Header, MAX_FRAME_LENGTH, PUBLIC_KEY_CONTEXT_KEY, read_exact,
};
use crate::materials::MaterialsManager;
use crate::suite::{COMMIT_LEN, IV_LEN, KEY_LEN, MESSAGE_ID_LEN, Suite, TAG_LEN};

const FRAME_AAD: &[u8] = b"AWSKMSEncryptionClient Frame";
const FINAL_FRAME_AAD: &[u8] = b"AWSKMSEncryptionClient Final Frame";
const FINAL_MARKER: u32 = 0xFFFF_FFFF;
/// The SDK's default frame length.
pub const DEFAULT_FRAME_LENGTH: u32 = 4096;

/// A plaintext data key: zeroized on drop, never printed.
pub struct DataKey(Zeroizing<[u8; KEY_LEN]>);

impl DataKey {
    /// A data key from its 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<DataKey, Error> {
        let key: [u8; KEY_LEN] = bytes
            .try_into()
            .map_err(|_| Error::Keyring(format!("a data key has {} bytes, not 32", bytes.len())))?;
        Ok(DataKey(Zeroizing::new(key)))
    }

    pub fn as_slice(&self) -> &[u8] {
        self.0.as_ref()
    }

    /// A copy (for a data key cache).
    pub fn duplicate(&self) -> DataKey {
        DataKey(Zeroizing::new(*self.0))
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// The message's encryption key and its commitment, from the data key and the message id.
fn derive(
    suite: Suite,
    data_key: &DataKey,
    message_id: &[u8; MESSAGE_ID_LEN],
) -> Result<(LessSafeKey, [u8; COMMIT_LEN]), Error> {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA512, message_id).extract(data_key.as_slice());
    let mut info = suite.id().to_be_bytes().to_vec();
    info.extend_from_slice(b"DERIVEKEY");
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    prk.expand(&[&info], Len(KEY_LEN))
        .and_then(|okm| okm.fill(key.as_mut()))
        .map_err(|_| Error::Crypto)?;
    let mut commitment = [0u8; COMMIT_LEN];
    prk.expand(&[b"COMMITKEY"], Len(COMMIT_LEN))
        .and_then(|okm| okm.fill(&mut commitment))
        .map_err(|_| Error::Crypto)?;
    let key = UnboundKey::new(&aead::AES_256_GCM, key.as_ref()).map_err(|_| Error::Crypto)?;
    Ok((LessSafeKey::new(key), commitment))
}

/// A frame's IV: its sequence number, big-endian, zero-padded to 12 bytes (as every SDK does).
fn frame_iv(seq: u32) -> [u8; IV_LEN] {
    let mut iv = [0u8; IV_LEN];
    for (slot, b) in iv.iter_mut().skip(IV_LEN - 4).zip(seq.to_be_bytes()) {
        *slot = b;
    }
    iv
}

fn frame_aad(message_id: &[u8], final_frame: bool, seq: u32, len: usize) -> Vec<u8> {
    let mut aad = message_id.to_vec();
    aad.extend_from_slice(if final_frame {
        FINAL_FRAME_AAD
    } else {
        FRAME_AAD
    });
    aad.extend_from_slice(&seq.to_be_bytes());
    aad.extend_from_slice(&u64::try_from(len).unwrap_or(u64::MAX).to_be_bytes());
    aad
}

/// Writes everything it is given, hashing it for the signature when there is one.
struct Out<'a, W: Write + ?Sized> {
    inner: &'a mut W,
    hash: Option<digest::Context>,
}

impl<W: Write + ?Sized> Out<'_, W> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if let Some(h) = &mut self.hash {
            h.update(bytes);
        }
        self.inner.write_all(bytes)?;
        Ok(())
    }
}

/// Reads up to `buf.len()` bytes: fewer only at the end of the input.
fn fill<R: Read + ?Sized>(r: &mut R, buf: &mut [u8]) -> Result<usize, Error> {
    let mut n = 0;
    while n < buf.len() {
        let Some(rest) = buf.get_mut(n..) else { break };
        match r.read(rest) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::Io(e)),
        }
    }
    Ok(n)
}

/// How a message is encrypted.
#[derive(Debug)]
pub struct Encryptor {
    pub suite: Suite,
    pub frame_length: u32,
    pub context: EncryptionContext,
    /// The plaintext's length when known in advance (a data key cache needs it to count bytes).
    pub plaintext_len: Option<u64>,
}

impl Encryptor {
    pub fn new(suite: Suite, context: EncryptionContext) -> Encryptor {
        Encryptor {
            suite,
            frame_length: DEFAULT_FRAME_LENGTH,
            context,
            plaintext_len: None,
        }
    }

    /// Encrypts all of `input` into `output` as one message; returns the plaintext length.
    pub fn encrypt<M: MaterialsManager + ?Sized, R: Read + ?Sized, W: Write + ?Sized>(
        &self,
        manager: &mut M,
        input: &mut R,
        output: &mut W,
    ) -> Result<u64, Error> {
        if self.frame_length == 0 || self.frame_length > MAX_FRAME_LENGTH {
            return Err(Error::Policy(format!(
                "the frame length must be 1 to {MAX_FRAME_LENGTH} bytes"
            )));
        }
        let materials =
            manager.encryption_materials(self.suite, &self.context, self.plaintext_len)?;
        let signer = materials
            .signing_key
            .as_ref()
            .map(|pkcs8| {
                EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P384_SHA384_ASN1_SIGNING, pkcs8)
                    .map_err(|_| Error::Crypto)
            })
            .transpose()?;
        if signer.is_some() != self.suite.signed() {
            return Err(Error::Crypto);
        }
        let crate::materials::EncryptionMaterials {
            data_key,
            keys,
            context,
            ..
        } = materials;
        let mut message_id = [0u8; MESSAGE_ID_LEN];
        rand::fill(&mut message_id).map_err(|_| Error::Crypto)?;
        let (key, commitment) = derive(self.suite, &data_key, &message_id)?;
        let header = Header {
            suite: self.suite,
            message_id,
            context,
            keys,
            frame_length: self.frame_length,
            commitment,
        };
        let body = header.body_bytes()?;
        let mut empty: [u8; 0] = [];
        let tag = key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key([0u8; IV_LEN]),
                Aad::from(&body),
                &mut empty,
            )
            .map_err(|_| Error::Crypto)?;
        let mut out = Out {
            inner: output,
            hash: signer
                .as_ref()
                .map(|_| digest::Context::new(&digest::SHA384)),
        };
        out.put(&body)?;
        out.put(tag.as_ref())?;

        let frame = usize::try_from(self.frame_length).map_err(|_| Error::Crypto)?;
        let mut current = Zeroizing::new(vec![0u8; frame]);
        let mut next = Zeroizing::new(vec![0u8; frame]);
        let mut have = fill(input, &mut current)?;
        let mut seq: u32 = 1;
        let mut total: u64 = 0;
        loop {
            // A full frame is regular only if more data follows it.
            let more = if have == frame {
                fill(input, &mut next)?
            } else {
                0
            };
            let final_frame = more == 0;
            // Sealed in place: the frame buffer holds ciphertext from here on.
            let content = current.get_mut(..have).ok_or(Error::Crypto)?;
            let aad = frame_aad(&message_id, final_frame, seq, have);
            let tag = key
                .seal_in_place_separate_tag(
                    Nonce::assume_unique_for_key(frame_iv(seq)),
                    Aad::from(&aad),
                    content,
                )
                .map_err(|_| Error::Crypto)?;
            let sealed = current.get(..have).ok_or(Error::Crypto)?;
            if final_frame {
                out.put(&FINAL_MARKER.to_be_bytes())?;
                out.put(&seq.to_be_bytes())?;
                out.put(&frame_iv(seq))?;
                out.put(
                    &u32::try_from(have)
                        .map_err(|_| Error::Crypto)?
                        .to_be_bytes(),
                )?;
            } else {
                out.put(&seq.to_be_bytes())?;
                out.put(&frame_iv(seq))?;
            }
            out.put(sealed)?;
            out.put(tag.as_ref())?;
            total = total.saturating_add(u64::try_from(have).unwrap_or(u64::MAX));
            if self.plaintext_len.is_some_and(|declared| total > declared) {
                return Err(Error::Policy(
                    "the input is longer than the plaintext length declared for it".into(),
                ));
            }
            if final_frame {
                break;
            }
            std::mem::swap(&mut current, &mut next);
            have = more;
            seq = seq
                .checked_add(1)
                .filter(|s| *s != FINAL_MARKER)
                .ok_or_else(|| Error::Policy("the message has too many frames".into()))?;
        }
        if self.plaintext_len.is_some_and(|declared| total != declared) {
            return Err(Error::Policy(
                "the input is shorter than the plaintext length declared for it".into(),
            ));
        }
        if let (Some(pair), Some(hash)) = (signer, out.hash.take()) {
            let sig = pair
                .sign_digest(&hash.finish())
                .map_err(|_| Error::Crypto)?;
            let len = u16::try_from(sig.as_ref().len()).map_err(|_| Error::Crypto)?;
            out.put(&len.to_be_bytes())?;
            out.put(sig.as_ref())?;
        }
        out.inner.flush()?;
        Ok(total)
    }
}

/// What a decryption insists on.
#[derive(Clone, Debug, Default)]
pub struct Decryptor {
    /// Refuse messages that are not signed (`..._ECDSA_P384`).
    pub require_signed: bool,
    /// Every pair here must be in the message's encryption context, with the same value.
    pub required_context: EncryptionContext,
}

impl Decryptor {
    /// Decrypts one message from `input` into `output`; each frame's plaintext is written only
    /// once its tag verifies. Returns the header.
    pub fn decrypt<M: MaterialsManager + ?Sized, R: Read + ?Sized, W: Write + ?Sized>(
        &self,
        manager: &mut M,
        input: &mut R,
        output: &mut W,
    ) -> Result<Header, Error> {
        let (header, body, header_tag) = Header::read(input)?;
        if self.require_signed && !header.suite.signed() {
            return Err(Error::Policy(format!(
                "the message uses {}, and a signed suite was demanded",
                header.suite.name()
            )));
        }
        for (k, v) in &self.required_context {
            if header.context.get(k) != Some(v) {
                return Err(Error::Policy(format!(
                    "the message's encryption context does not have {k}={v}"
                )));
            }
        }
        if !header.suite.signed() && header.context.contains_key(PUBLIC_KEY_CONTEXT_KEY) {
            return Err(Error::Malformed(format!(
                "an unsigned message whose encryption context holds {PUBLIC_KEY_CONTEXT_KEY}"
            )));
        }
        let verifier = if header.suite.signed() {
            let encoded = header.context.get(PUBLIC_KEY_CONTEXT_KEY).ok_or_else(|| {
                Error::Malformed("a signed message without its public key".into())
            })?;
            let point = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|_| Error::Malformed("the message's public key is not base64".into()))?;
            let key = signature::ParsedPublicKey::new(&signature::ECDSA_P384_SHA384_ASN1, point)
                .map_err(|_| Error::Malformed("the message's public key does not parse".into()))?;
            let mut hash = digest::Context::new(&digest::SHA384);
            hash.update(&body);
            hash.update(&header_tag);
            Some((key, hash))
        } else {
            None
        };
        let data_key = manager.decryption_key(header.suite, &header.keys, &header.context)?;
        let (key, commitment) = derive(header.suite, &data_key, &header.message_id)?;
        aws_lc_rs::constant_time::verify_slices_are_equal(&commitment, &header.commitment)
            .map_err(|_| Error::Commitment)?;
        let mut tag = header_tag;
        key.open_in_place(
            Nonce::assume_unique_for_key([0u8; IV_LEN]),
            Aad::from(&body),
            &mut tag,
        )
        .map_err(|_| Error::Tampered("the header"))?;

        let (mut hash, verifier_key) = match verifier {
            Some((k, h)) => (Some(h), Some(k)),
            None => (None, None),
        };
        let mut read = |buf: &mut [u8]| -> Result<(), Error> {
            read_exact(input, buf)?;
            if let Some(h) = &mut hash {
                h.update(buf);
            }
            Ok(())
        };
        let frame = usize::try_from(header.frame_length).map_err(|_| Error::Crypto)?;
        let mut expected: u32 = 1;
        let mut buf = Zeroizing::new(Vec::with_capacity(frame + TAG_LEN));
        loop {
            let mut word = [0u8; 4];
            read(&mut word)?;
            let first = u32::from_be_bytes(word);
            let final_frame = first == FINAL_MARKER;
            let seq = if final_frame {
                read(&mut word)?;
                u32::from_be_bytes(word)
            } else {
                first
            };
            if seq != expected {
                return Err(Error::Tampered("the frame order"));
            }
            let mut iv = [0u8; IV_LEN];
            read(&mut iv)?;
            // Every SDK derives a frame's IV from its sequence number; any other is refused,
            // so that no IV repeats within a message.
            if iv != frame_iv(seq) {
                return Err(Error::Tampered("a frame's IV"));
            }
            let len = if final_frame {
                read(&mut word)?;
                let len = usize::try_from(u32::from_be_bytes(word)).map_err(|_| Error::Crypto)?;
                if len > frame {
                    return Err(Error::Malformed(
                        "a final frame longer than the frame length".into(),
                    ));
                }
                len
            } else {
                frame
            };
            buf.clear();
            buf.resize(len + TAG_LEN, 0);
            read(&mut buf)?;
            let aad = frame_aad(&header.message_id, final_frame, seq, len);
            let plain = key
                .open_in_place(Nonce::assume_unique_for_key(iv), Aad::from(&aad), &mut buf)
                .map_err(|_| Error::Tampered("a frame"))?;
            output.write_all(plain)?;
            if final_frame {
                break;
            }
            expected = expected
                .checked_add(1)
                .filter(|s| *s != FINAL_MARKER)
                .ok_or_else(|| Error::Malformed("too many frames".into()))?;
        }
        if let (Some(key), Some(hash)) = (verifier_key, hash.take()) {
            let mut len = [0u8; 2];
            read_exact(input, &mut len)?;
            let mut sig = vec![0u8; usize::from(u16::from_be_bytes(len))];
            read_exact(input, &mut sig)?;
            key.verify_digest_sig(&hash.finish(), &sig)
                .map_err(|_| Error::Tampered("the signature"))?;
        }
        let mut extra = [0u8; 1];
        if fill(input, &mut extra)? != 0 {
            return Err(Error::Malformed(
                "bytes after the end of the message".into(),
            ));
        }
        output.flush()?;
        Ok(header)
    }
}

/// Encrypts `input` to `output` under `suite` with `context` (default framing).
pub fn encrypt<K: MaterialsManager, R: Read + ?Sized, W: Write + ?Sized>(
    keyring: &mut K,
    suite: Suite,
    context: &EncryptionContext,
    input: &mut R,
    output: &mut W,
) -> Result<u64, Error> {
    Encryptor::new(suite, context.clone()).encrypt(keyring, input, output)
}

/// Decrypts one message from `input` to `output`.
pub fn decrypt<K: MaterialsManager, R: Read + ?Sized, W: Write + ?Sized>(
    keyring: &mut K,
    input: &mut R,
    output: &mut W,
) -> Result<Header, Error> {
    Decryptor::default().decrypt(keyring, input, output)
}

#[cfg(test)]
mod tests;
