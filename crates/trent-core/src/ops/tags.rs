//! TagResource, UntagResource and ListResourceTags, and the tag rules CreateKey shares.

use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::kms::Kms;
use crate::model::{KeyRef, RequestContext, Tag};
use crate::ops::pipeline::{KeyUse, StateRule};
use crate::policy::Facts;
use crate::store::{Constraint, StoreError};

/// The most user tags a key may carry.
pub const MAX_TAGS: usize = 50;

/// AWS's tag rules: no `aws:` prefix (in any case), no duplicate keys, at most 50.
pub fn validate_tags(tags: &[Tag]) -> Result<()> {
    let tag_error = |m: &str| Error::Tag {
        message: m.to_owned(),
    };
    if tags.iter().any(|t| {
        t.key
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("aws:"))
    }) {
        return Err(tag_error("Tags beginning with aws: are reserved"));
    }
    let mut seen = HashSet::new();
    if !tags.iter().all(|t| seen.insert(t.key.as_str())) {
        return Err(tag_error("Duplicate tag keys"));
    }
    if tags.len() > MAX_TAGS {
        return Err(tag_error("Too many tags"));
    }
    Ok(())
}

impl Kms {
    pub async fn tag_resource(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        tags: &[Tag],
    ) -> Result<()> {
        validate_tags(tags)?;
        let key = self
            .key_for(
                ctx,
                KeyUse::new(key, "kms:TagResource", StateRule::NotPendingDeletion)
                    .without_aliases()
                    .facts(Facts::new().with_request_tags(
                        tags.iter().map(|t| (t.key.as_str(), t.value.as_str())),
                    )),
            )
            .await?;
        let record = &key.key().record;
        match self
            .store
            .tag_key(&record.scope, &record.id, tags, MAX_TAGS)
            .await
        {
            Ok(()) => Ok(()),
            Err(StoreError::Limit(_)) => Err(Error::Tag {
                message: "Too many tags".to_owned(),
            }),
            // The key was deleted between the check and the write.
            Err(StoreError::Conflict {
                constraint: Constraint::ForeignKey,
            }) => Err(Error::KeyNotFound { arn: record.arn() }),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn untag_resource(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        tag_keys: &[String],
    ) -> Result<()> {
        let key = self
            .key_for(
                ctx,
                KeyUse::new(key, "kms:UntagResource", StateRule::NotPendingDeletion)
                    .without_aliases()
                    .facts(
                        tag_keys
                            .iter()
                            .fold(Facts::new(), |f, k| f.with("aws:TagKeys", k.as_str())),
                    ),
            )
            .await?;
        let record = &key.key().record;
        Ok(self
            .store
            .untag_key(&record.scope, &record.id, tag_keys)
            .await?)
    }

    /// ListResourceTags: all tags of a key, in key order; the server pages them.
    pub async fn list_resource_tags(&self, ctx: &RequestContext, key: &KeyRef) -> Result<Vec<Tag>> {
        let key = self
            .key_for(
                ctx,
                KeyUse::new(key, "kms:ListResourceTags", StateRule::Any).without_aliases(),
            )
            .await?;
        let record = &key.key().record;
        Ok(self.store.tags(&record.scope, &record.id).await?)
    }
}
