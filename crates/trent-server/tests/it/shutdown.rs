//! Graceful shutdown: a request already on the wire when the server is told to stop is
//! finished and answered; new connections are refused; the stop completes afterwards.

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::harness::Harness;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_at_shutdown_is_finished() {
    let h = Harness::start().await;
    let key = h.key().await;
    let body = format!(r#"{{"KeyId":"{key}","Plaintext":"aW4gZmxpZ2h0"}}"#);
    let request = h.request("TrentService.Encrypt", &body, true);
    // Everything but the last bytes of the body: the server has begun reading the request.
    let (head, tail) = request.split_at(request.len() - 5);
    let mut stream = tokio::net::TcpStream::connect(h.server.local_addr)
        .await
        .unwrap();
    stream.write_all(head).await.unwrap();
    stream.flush().await.unwrap();
    // A complete request on another connection proves the server has accepted the first one
    // (connections are accepted in order); a short pause lets it start reading.
    let (status, _, _) = h
        .raw(b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await;
    assert_eq!(status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(250)).await;

    let addr = h.server.local_addr;
    let Harness { server, dir, .. } = h;
    let stopping = tokio::spawn(server.shutdown());
    // New connections are no longer served.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let refused = match tokio::net::TcpStream::connect(addr).await {
        Err(_) => true,
        Ok(mut s) => {
            let _ = s
                .write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
                .await;
            let mut buf = Vec::new();
            matches!(s.read_to_end(&mut buf).await, Ok(0) | Err(_))
        }
    };
    assert!(refused, "a new connection was served after shutdown began");
    assert!(
        !stopping.is_finished(),
        "the stop waits for the request in flight"
    );

    // The rest of the request arrives: it is answered in full.
    stream.write_all(tail).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("\"CiphertextBlob\""), "{text}");
    stopping.await.unwrap().unwrap();
    drop(dir);
}
