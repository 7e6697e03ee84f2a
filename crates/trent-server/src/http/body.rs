//! Reading a request body: bounded, and hashed with SHA-256 frame by frame as it arrives, so
//! that SigV4 does not read the body a second time to hash it.

use aws_lc_rs::digest;
use axum::body::{Body, Bytes};
use http_body_util::BodyExt as _;

/// A body read whole, with its SHA-256.
#[derive(Debug)]
pub struct Hashed {
    pub bytes: Bytes,
    pub sha256: [u8; 32],
}

/// Why a body was not read: it passed the limit, or its connection broke off.
#[derive(Debug, PartialEq, Eq)]
pub struct Unread;

/// Reads `body` to its end, refusing it as soon as it passes `limit` bytes. One frame (the
/// usual body) is kept as it came, without a copy; trailers are ignored.
pub async fn read_hashed(body: Body, limit: usize) -> Result<Hashed, Unread> {
    let mut body = http_body_util::Limited::new(body, limit);
    let mut hash = digest::Context::new(&digest::SHA256);
    let mut chunks: Vec<Bytes> = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(|_| Unread)?.into_data() else {
            continue;
        };
        if !data.is_empty() {
            hash.update(&data);
            chunks.push(data);
        }
    }
    let bytes = match chunks.len() {
        0 => Bytes::new(),
        1 => chunks.swap_remove(0),
        _ => Bytes::from(chunks.concat()),
    };
    let mut sha256 = [0; 32];
    sha256.copy_from_slice(hash.finish().as_ref());
    Ok(Hashed { bytes, sha256 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha256(data: &[u8]) -> [u8; 32] {
        let mut out = [0; 32];
        out.copy_from_slice(digest::digest(&digest::SHA256, data).as_ref());
        out
    }

    /// A body sent in `parts`, frame by frame.
    fn streamed(parts: &[&'static [u8]]) -> Body {
        let frames: Vec<Result<Bytes, std::io::Error>> =
            parts.iter().map(|p| Ok(Bytes::from_static(p))).collect();
        Body::from_stream(futures_util::stream::iter(frames))
    }

    #[tokio::test]
    async fn the_hash_is_the_whole_bodys_however_it_was_framed() {
        for parts in [
            &[][..],
            &[&b""[..]][..],
            &[&b"{\"KeyId\":\"k\"}"[..]][..],
            &[&b"{\"Key"[..], &b""[..], &b"Id\":"[..], &b"\"k\"}"[..]][..],
        ] {
            let whole = parts.concat();
            let read = read_hashed(streamed(parts), 1024).await.unwrap();
            assert_eq!(read.bytes, whole, "{parts:?}");
            assert_eq!(read.sha256, sha256(&whole), "{parts:?}");
        }
    }

    #[tokio::test]
    async fn a_body_past_the_limit_is_refused() {
        assert_eq!(
            read_hashed(streamed(&[b"12345", b"6"]), 5)
                .await
                .unwrap_err(),
            Unread
        );
        assert_eq!(
            read_hashed(streamed(&[b"12345"]), 5).await.unwrap().bytes,
            &b"12345"[..]
        );
        let broken: Vec<Result<Bytes, std::io::Error>> = vec![
            Ok(Bytes::from_static(b"{")),
            Err(std::io::Error::other("reset")),
        ];
        let body = Body::from_stream(futures_util::stream::iter(broken));
        assert_eq!(read_hashed(body, 1024).await.unwrap_err(), Unread);
    }
}
