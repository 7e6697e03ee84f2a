//! The AWS KMS keyring of `trent encrypt` and `trent decrypt`: data keys from GenerateDataKey,
//! copies for more keys with Encrypt, unwrapping with Decrypt, each a SigV4-signed call to the
//! server (the client commands speak only HTTP).

use crate::failure::Failure;
use base64::Engine as _;
use serde_json::{Value, json};
use trent_esdk::{DataKey, EncryptedDataKey, EncryptionContext, Error, Keyring, Suite};

use crate::cli::admin_client::{AdminCall, call_target};

/// Which of a message's encrypted data keys the keyring may try to unwrap.
#[derive(Clone, Debug)]
pub enum Discovery {
    /// Strict: only these key ARNs (as the SDK's strict mode).
    Only(Vec<String>),
    /// Any AWS KMS key the caller may use.
    Any,
}

/// A keyring over Trent's KMS API.
#[derive(Debug)]
pub struct KmsKeyring {
    pub call: AdminCall,
    /// The generator first, then every other key a message is encrypted under.
    pub keys: Vec<String>,
    pub discovery: Discovery,
    pub runtime: tokio::runtime::Handle,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(value: &Value, field: &str) -> Result<Vec<u8>, Error> {
    value
        .get(field)
        .and_then(Value::as_str)
        .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
        .ok_or_else(|| Error::Keyring(format!("KMS answered without {field}")))
}

fn text(value: &Value, field: &str) -> Result<String, Error> {
    value
        .get(field)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| Error::Keyring(format!("KMS answered without {field}")))
}

impl KmsKeyring {
    /// One KMS call, from a thread that may block.
    fn kms(&self, operation: &str, input: Value) -> Result<Value, Failure> {
        let call = AdminCall {
            input,
            ..self.call.clone()
        };
        self.runtime
            .block_on(call_target(&call, &format!("TrentService.{operation}")))
    }
}

impl Keyring for KmsKeyring {
    fn generate(
        &mut self,
        _suite: Suite,
        context: &EncryptionContext,
    ) -> Result<(DataKey, Vec<EncryptedDataKey>), Error> {
        let (generator, others) = self
            .keys
            .split_first()
            .ok_or_else(|| Error::Keyring("no KMS key to encrypt under".into()))?;
        let generated = self
            .kms(
                "GenerateDataKey",
                json!({"KeyId": generator, "NumberOfBytes": 32, "EncryptionContext": context}),
            )
            .map_err(|e| Error::Keyring(format!("GenerateDataKey with {generator}: {e}")))?;
        let plaintext = zeroize::Zeroizing::new(unb64(&generated, "Plaintext")?);
        let data_key = DataKey::from_slice(&plaintext)?;
        let mut keys = vec![EncryptedDataKey::kms(
            &text(&generated, "KeyId")?,
            unb64(&generated, "CiphertextBlob")?,
        )];
        for key in others {
            let encoded = zeroize::Zeroizing::new(b64(data_key.as_slice()));
            let encrypted = self
                .kms(
                    "Encrypt",
                    json!({"KeyId": key, "Plaintext": encoded.as_str(), "EncryptionContext": context}),
                )
                .map_err(|e| Error::Keyring(format!("Encrypt with {key}: {e}")))?;
            keys.push(EncryptedDataKey::kms(
                &text(&encrypted, "KeyId")?,
                unb64(&encrypted, "CiphertextBlob")?,
            ));
        }
        Ok((data_key, keys))
    }

    fn unwrap(
        &mut self,
        _suite: Suite,
        keys: &[EncryptedDataKey],
        context: &EncryptionContext,
    ) -> Result<DataKey, Error> {
        let mut failures = Vec::new();
        for key in keys {
            let Some(arn) = key.kms_arn() else { continue };
            if let Discovery::Only(allowed) = &self.discovery
                && !allowed.iter().any(|a| a == arn)
            {
                continue;
            }
            match self.kms(
                "Decrypt",
                json!({"KeyId": arn, "CiphertextBlob": b64(&key.ciphertext), "EncryptionContext": context}),
            ) {
                Ok(answer) => {
                    let plaintext = zeroize::Zeroizing::new(unb64(&answer, "Plaintext")?);
                    return DataKey::from_slice(&plaintext);
                }
                Err(e) => failures.push(format!("{arn}: {e}")),
            }
        }
        Err(Error::Keyring(if failures.is_empty() {
            "none of the message's encrypted data keys is under an allowed KMS key".to_owned()
        } else {
            format!(
                "no KMS key decrypted the data key ({})",
                failures.join("; ")
            )
        }))
    }
}
