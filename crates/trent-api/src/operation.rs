//! Operations: the `X-Amz-Target` header, and one marker type per served operation binding its
//! name to its request and response shapes.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ErrorCode, WireError};
use crate::model;
use crate::shapes::{
    Empty, agreement, aliases, data_keys, encrypt, grants, import, kem, key_policies, keys, mac,
    random, rotation, sign, tags,
};

/// The prefix of every KMS target: `TrentService.Encrypt`.
pub const TARGET_PREFIX: &str = "TrentService.";

/// An operation of the wire protocol.
pub trait Operation {
    /// The AWS operation name, as in `X-Amz-Target`.
    const NAME: &'static str;
    type Request: DeserializeOwned;
    type Response: Serialize;
}

/// Parses `X-Amz-Target` into an operation name of the model.
///
/// An absent or foreign target, or an operation the model does not have, is
/// `UnknownOperationException`.
pub fn parse_target(target: Option<&str>) -> Result<&str, WireError> {
    let unknown = || WireError::new(ErrorCode::UnknownOperationException, "");
    let name = target
        .and_then(|t| t.strip_prefix(TARGET_PREFIX))
        .ok_or_else(unknown)?;
    if model::is_known_operation(name) {
        Ok(name)
    } else {
        Err(unknown())
    }
}

macro_rules! operations {
    ($($op:ident: $req:ty => $resp:ty;)*) => {
        $(
            #[doc = concat!("The `", stringify!($op), "` operation.")]
            #[derive(Debug)]
            pub struct $op;
            impl Operation for $op {
                const NAME: &'static str = stringify!($op);
                type Request = $req;
                type Response = $resp;
            }
        )*
    };
}

operations! {
    CreateKey: keys::CreateKeyRequest => keys::CreateKeyResponse;
    DescribeKey: keys::DescribeKeyRequest => keys::DescribeKeyResponse;
    ListKeys: keys::ListKeysRequest => keys::ListKeysResponse;
    EnableKey: keys::KeyIdRequest => Empty;
    DisableKey: keys::KeyIdRequest => Empty;
    UpdateKeyDescription: keys::UpdateKeyDescriptionRequest => Empty;
    ScheduleKeyDeletion: keys::ScheduleKeyDeletionRequest => keys::ScheduleKeyDeletionResponse;
    CancelKeyDeletion: keys::KeyIdRequest => keys::CancelKeyDeletionResponse;
    Encrypt: encrypt::EncryptRequest => encrypt::EncryptResponse;
    Decrypt: encrypt::DecryptRequest => encrypt::DecryptResponse;
    ReEncrypt: encrypt::ReEncryptRequest => encrypt::ReEncryptResponse;
    GenerateDataKey: data_keys::GenerateDataKeyRequest => data_keys::GenerateDataKeyResponse;
    GenerateDataKeyWithoutPlaintext: data_keys::GenerateDataKeyRequest => data_keys::GenerateDataKeyWithoutPlaintextResponse;
    GenerateRandom: random::GenerateRandomRequest => random::GenerateRandomResponse;
    CreateAlias: aliases::AliasRequest => Empty;
    UpdateAlias: aliases::AliasRequest => Empty;
    DeleteAlias: aliases::DeleteAliasRequest => Empty;
    ListAliases: aliases::ListAliasesRequest => aliases::ListAliasesResponse;
    TagResource: tags::TagResourceRequest => Empty;
    UntagResource: tags::UntagResourceRequest => Empty;
    ListResourceTags: tags::ListResourceTagsRequest => tags::ListResourceTagsResponse;
    Sign: sign::SignRequest => sign::SignResponse;
    Verify: sign::VerifyRequest => sign::VerifyResponse;
    GetPublicKey: sign::GetPublicKeyRequest => sign::GetPublicKeyResponse;
    GenerateMac: mac::GenerateMacRequest => mac::GenerateMacResponse;
    VerifyMac: mac::VerifyMacRequest => mac::VerifyMacResponse;
    DeriveSharedSecret: agreement::DeriveSharedSecretRequest => agreement::DeriveSharedSecretResponse;
    Encapsulate: kem::EncapsulateRequest => kem::EncapsulateResponse;
    GetKeyPolicy: key_policies::GetKeyPolicyRequest => key_policies::GetKeyPolicyResponse;
    PutKeyPolicy: key_policies::PutKeyPolicyRequest => Empty;
    ListKeyPolicies: key_policies::ListKeyPoliciesRequest => key_policies::ListKeyPoliciesResponse;
    Decapsulate: kem::DecapsulateRequest => kem::DecapsulateResponse;
    GenerateDataKeyPair: data_keys::GenerateDataKeyPairRequest => data_keys::GenerateDataKeyPairResponse;
    GenerateDataKeyPairWithoutPlaintext: data_keys::GenerateDataKeyPairRequest => data_keys::GenerateDataKeyPairWithoutPlaintextResponse;
    CreateGrant: grants::CreateGrantRequest => grants::CreateGrantResponse;
    ListGrants: grants::ListGrantsRequest => grants::ListGrantsResponse;
    ListRetirableGrants: grants::ListRetirableGrantsRequest => grants::ListGrantsResponse;
    RetireGrant: grants::RetireGrantRequest => Empty;
    RevokeGrant: grants::RevokeGrantRequest => Empty;
    EnableKeyRotation: rotation::EnableKeyRotationRequest => Empty;
    DisableKeyRotation: rotation::RotationKeyIdRequest => Empty;
    GetKeyRotationStatus: rotation::RotationKeyIdRequest => rotation::GetKeyRotationStatusResponse;
    RotateKeyOnDemand: rotation::RotationKeyIdRequest => rotation::RotateKeyOnDemandResponse;
    ListKeyRotations: rotation::ListKeyRotationsRequest => rotation::ListKeyRotationsResponse;
    GetParametersForImport: import::GetParametersForImportRequest => import::GetParametersForImportResponse;
    ImportKeyMaterial: import::ImportKeyMaterialRequest => import::ImportKeyMaterialResponse;
    DeleteImportedKeyMaterial: import::DeleteImportedKeyMaterialRequest => import::DeleteImportedKeyMaterialResponse;
    GetKeyLastUsage: keys::GetKeyLastUsageRequest => keys::GetKeyLastUsageResponse;
    ReplicateKey: keys::ReplicateKeyRequest => keys::ReplicateKeyResponse;
    UpdatePrimaryRegion: keys::UpdatePrimaryRegionRequest => Empty;
}

/// Decodes and validates a request body for operation `O`.
///
/// An empty body counts as `{}` (AWS accepts it for operations without required members).
/// Malformed JSON is `SerializationException`; constraint violations are `ValidationException`
/// in AWS's wording.
pub fn decode<O: Operation>(body: &[u8]) -> Result<O::Request, WireError> {
    decode_with_tokens::<O>(body).map(|(request, _)| request)
}

/// Decodes a request and takes out its `GrantTokens`, which every operation that has them
/// hands to authorization the same way.
pub fn decode_with_tokens<O: Operation>(
    body: &[u8],
) -> Result<(O::Request, Vec<String>), WireError> {
    decode_value_with_tokens::<O>(parse_body(body)?)
}

/// As [`decode_with_tokens`], from a body already parsed by [`parse_body`].
pub fn decode_value_with_tokens<O: Operation>(
    value: serde_json::Value,
) -> Result<(O::Request, Vec<String>), WireError> {
    model::validate(O::NAME, &value)?;
    let tokens = value
        .get("GrantTokens")
        .and_then(serde_json::Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let request = serde_json::from_value(value)
        .map_err(|e| WireError::new(ErrorCode::SerializationException, e.to_string()))?;
    Ok((request, tokens))
}

/// Parses a body into JSON, mapping failures to `SerializationException`.
pub fn parse_body(body: &[u8]) -> Result<serde_json::Value, WireError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Value::Object(serde_json::Map::new()));
    }
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| WireError::new(ErrorCode::SerializationException, ""))?;
    if !value.is_object() {
        return Err(WireError::new(
            ErrorCode::SerializationException,
            "Start of structure or map found where not expected.",
        ));
    }
    Ok(value)
}
