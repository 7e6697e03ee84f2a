//! Tags through the SDK: TagResource, UntagResource, ListResourceTags, and AWS's tag rules.

use aws_sdk_kms::types::Tag;

use crate::harness::{Harness, error_of};

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().tag_key(k).tag_value(v).build().unwrap()
}

#[tokio::test]
async fn tag_untag_list() {
    let h = Harness::start().await;
    let kms = h.client();
    let id = h.key().await;
    kms.tag_resource()
        .key_id(&id)
        .tags(tag("b", "2"))
        .tags(tag("a", "1"))
        .send()
        .await
        .unwrap();
    // A tag key that exists is overwritten.
    kms.tag_resource()
        .key_id(&id)
        .tags(tag("a", "one"))
        .send()
        .await
        .unwrap();
    let tags = kms.list_resource_tags().key_id(&id).send().await.unwrap();
    let pairs: Vec<_> = tags
        .tags()
        .iter()
        .map(|t| (t.tag_key(), t.tag_value()))
        .collect();
    assert_eq!(pairs, [("a", "one"), ("b", "2")]);
    assert!(!tags.truncated);
    kms.untag_resource()
        .key_id(&id)
        .tag_keys("a")
        .tag_keys("missing")
        .send()
        .await
        .unwrap();
    let tags = kms.list_resource_tags().key_id(&id).send().await.unwrap();
    assert_eq!(tags.tags().len(), 1);
}

#[tokio::test]
async fn tag_rules() {
    let h = Harness::start().await;
    let kms = h.client();
    let id = h.key().await;
    assert_eq!(
        error_of(
            kms.tag_resource()
                .key_id(&id)
                .tags(tag("AWS:x", "y"))
                .send()
                .await
        ),
        (
            "TagException".to_owned(),
            "Tags beginning with aws: are reserved".to_owned()
        )
    );
    let mut many = kms.tag_resource().key_id(&id);
    for i in 0..50 {
        many = many.tags(tag(&format!("k{i:02}"), "v"));
    }
    many.send().await.unwrap();
    assert_eq!(
        error_of(
            kms.tag_resource()
                .key_id(&id)
                .tags(tag("one-more", "v"))
                .send()
                .await
        ),
        ("TagException".to_owned(), "Too many tags".to_owned())
    );
    // The failed call changed nothing.
    let listed = kms
        .list_resource_tags()
        .key_id(&id)
        .limit(50)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.tags().len(), 50);
    assert!(!listed.truncated);
    let page = kms
        .list_resource_tags()
        .key_id(&id)
        .limit(20)
        .send()
        .await
        .unwrap();
    assert!(page.truncated);
    let next = kms
        .list_resource_tags()
        .key_id(&id)
        .limit(50)
        .marker(page.next_marker.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(next.tags().len(), 30);
    let (code, message) = error_of(
        kms.tag_resource()
            .key_id(&id)
            .tags(tag(&"k".repeat(129), "v"))
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(message.contains("'tags.1.member.tagKey'"), "{message}");
}
