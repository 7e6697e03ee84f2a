//! Operations: the `X-Amz-Target` header, and one marker type per served operation binding its
//! name to its request and response shapes.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ErrorCode, WireError};
use crate::model;
use crate::shapes::{
    Empty, agreement, aliases, data_keys, encrypt, grants, import, kem, key_policies, key_stores,
    keys, mac, random, rotation, sign, tags,
};

/// The prefix of every KMS target: `TrentService.Encrypt`.
pub const TARGET_PREFIX: &str = "TrentService.";

/// What is known of an operation besides its shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperationSpec {
    /// The AWS operation name, as in `X-Amz-Target`.
    pub name: &'static str,
    /// It changes nothing (CloudTrail's `readOnly`); its response is not recorded.
    pub read_only: bool,
}

/// An operation of the wire protocol.
pub trait Operation {
    const SPEC: OperationSpec;
    /// The AWS operation name, as in `X-Amz-Target`.
    const NAME: &'static str = Self::SPEC.name;
    type Request: DeserializeOwned;
    type Response: Serialize;
}

/// The spec of a served operation, by name.
pub fn spec(name: &str) -> Option<&'static OperationSpec> {
    OPERATIONS.iter().find(|s| s.name == name)
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

macro_rules! read_only {
    (read) => {
        true
    };
    (write) => {
        false
    };
}

macro_rules! operations {
    ($($op:ident: $req:ty => $resp:ty, $kind:ident;)*) => {
        $(
            #[doc = concat!("The `", stringify!($op), "` operation.")]
            #[derive(Debug)]
            pub struct $op;
            impl Operation for $op {
                const SPEC: OperationSpec = OperationSpec {
                    name: stringify!($op),
                    read_only: read_only!($kind),
                };
                type Request = $req;
                type Response = $resp;
            }
        )*

        /// Every served operation.
        pub const OPERATIONS: &[OperationSpec] = &[$(<$op as Operation>::SPEC),*];
    };
}

operations! {
    CreateKey: keys::CreateKeyRequest => keys::CreateKeyResponse, write;
    DescribeKey: keys::DescribeKeyRequest => keys::DescribeKeyResponse, read;
    ListKeys: keys::ListKeysRequest => keys::ListKeysResponse, read;
    EnableKey: keys::KeyIdRequest => Empty, write;
    DisableKey: keys::KeyIdRequest => Empty, write;
    UpdateKeyDescription: keys::UpdateKeyDescriptionRequest => Empty, write;
    ScheduleKeyDeletion: keys::ScheduleKeyDeletionRequest => keys::ScheduleKeyDeletionResponse, write;
    CancelKeyDeletion: keys::KeyIdRequest => keys::CancelKeyDeletionResponse, write;
    Encrypt: encrypt::EncryptRequest => encrypt::EncryptResponse, read;
    Decrypt: encrypt::DecryptRequest => encrypt::DecryptResponse, read;
    ReEncrypt: encrypt::ReEncryptRequest => encrypt::ReEncryptResponse, read;
    GenerateDataKey: data_keys::GenerateDataKeyRequest => data_keys::GenerateDataKeyResponse, read;
    GenerateDataKeyWithoutPlaintext: data_keys::GenerateDataKeyRequest => data_keys::GenerateDataKeyWithoutPlaintextResponse, read;
    GenerateRandom: random::GenerateRandomRequest => random::GenerateRandomResponse, read;
    CreateAlias: aliases::AliasRequest => Empty, write;
    UpdateAlias: aliases::AliasRequest => Empty, write;
    DeleteAlias: aliases::DeleteAliasRequest => Empty, write;
    ListAliases: aliases::ListAliasesRequest => aliases::ListAliasesResponse, read;
    TagResource: tags::TagResourceRequest => Empty, write;
    UntagResource: tags::UntagResourceRequest => Empty, write;
    ListResourceTags: tags::ListResourceTagsRequest => tags::ListResourceTagsResponse, read;
    Sign: sign::SignRequest => sign::SignResponse, read;
    Verify: sign::VerifyRequest => sign::VerifyResponse, read;
    GetPublicKey: sign::GetPublicKeyRequest => sign::GetPublicKeyResponse, read;
    GenerateMac: mac::GenerateMacRequest => mac::GenerateMacResponse, read;
    VerifyMac: mac::VerifyMacRequest => mac::VerifyMacResponse, read;
    DeriveSharedSecret: agreement::DeriveSharedSecretRequest => agreement::DeriveSharedSecretResponse, read;
    Encapsulate: kem::EncapsulateRequest => kem::EncapsulateResponse, read;
    GetKeyPolicy: key_policies::GetKeyPolicyRequest => key_policies::GetKeyPolicyResponse, read;
    PutKeyPolicy: key_policies::PutKeyPolicyRequest => Empty, write;
    ListKeyPolicies: key_policies::ListKeyPoliciesRequest => key_policies::ListKeyPoliciesResponse, read;
    Decapsulate: kem::DecapsulateRequest => kem::DecapsulateResponse, read;
    GenerateDataKeyPair: data_keys::GenerateDataKeyPairRequest => data_keys::GenerateDataKeyPairResponse, read;
    GenerateDataKeyPairWithoutPlaintext: data_keys::GenerateDataKeyPairRequest => data_keys::GenerateDataKeyPairWithoutPlaintextResponse, read;
    CreateGrant: grants::CreateGrantRequest => grants::CreateGrantResponse, write;
    ListGrants: grants::ListGrantsRequest => grants::ListGrantsResponse, read;
    ListRetirableGrants: grants::ListRetirableGrantsRequest => grants::ListGrantsResponse, read;
    RetireGrant: grants::RetireGrantRequest => Empty, write;
    RevokeGrant: grants::RevokeGrantRequest => Empty, write;
    EnableKeyRotation: rotation::EnableKeyRotationRequest => Empty, write;
    DisableKeyRotation: rotation::RotationKeyIdRequest => Empty, write;
    GetKeyRotationStatus: rotation::RotationKeyIdRequest => rotation::GetKeyRotationStatusResponse, read;
    RotateKeyOnDemand: rotation::RotationKeyIdRequest => rotation::RotateKeyOnDemandResponse, write;
    ListKeyRotations: rotation::ListKeyRotationsRequest => rotation::ListKeyRotationsResponse, read;
    GetParametersForImport: import::GetParametersForImportRequest => import::GetParametersForImportResponse, read;
    ImportKeyMaterial: import::ImportKeyMaterialRequest => import::ImportKeyMaterialResponse, write;
    DeleteImportedKeyMaterial: import::DeleteImportedKeyMaterialRequest => import::DeleteImportedKeyMaterialResponse, write;
    GetKeyLastUsage: keys::GetKeyLastUsageRequest => keys::GetKeyLastUsageResponse, read;
    ReplicateKey: keys::ReplicateKeyRequest => keys::ReplicateKeyResponse, write;
    UpdatePrimaryRegion: keys::UpdatePrimaryRegionRequest => Empty, write;
    CreateCustomKeyStore: key_stores::CreateCustomKeyStoreRequest => key_stores::CreateCustomKeyStoreResponse, write;
    ConnectCustomKeyStore: key_stores::CustomKeyStoreIdRequest => Empty, write;
    DisconnectCustomKeyStore: key_stores::CustomKeyStoreIdRequest => Empty, write;
    UpdateCustomKeyStore: key_stores::UpdateCustomKeyStoreRequest => Empty, write;
    DeleteCustomKeyStore: key_stores::CustomKeyStoreIdRequest => Empty, write;
    DescribeCustomKeyStores: key_stores::DescribeCustomKeyStoresRequest => key_stores::DescribeCustomKeyStoresResponse, read;
}

/// Decodes and validates a request body already parsed by [`parse_body`] (an empty body
/// counts as `{}`, as AWS accepts it for operations without required members), and takes out
/// its `GrantTokens`, which every operation that has them hands to authorization the same
/// way. Constraint violations are `ValidationException` in AWS's wording.
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
