//! The SMTP relay of the outbox against a minimal SMTP server, on SQLite and PostgreSQL.

mod support;

use app::mail::{HIDDEN, MAX_ATTEMPTS, Mail, Relay, RelayReport, enqueue};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const NOW: i64 = 1_800_000_000;

/// Accepts SMTP sessions on a local port and keeps each message's DATA; refuses recipients
/// at `refused.test`.
async fn smtp_server() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = received.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else { return };
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 test ESMTP\r\n").await.unwrap();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            store.lock().unwrap().push(data.take().unwrap());
                            write.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 test\r\n",
                        "RCPT" if line.contains("refused.test") => b"550 no such user\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go on\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => b"250 ok\r\n",
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, received)
}

fn mail<'a>(to: &'a str, subject: &str, body: &str, secret: Option<(&'a str, i64)>) -> Mail<'a> {
    Mail { kind: app::mail::Kind::Notice, org_id: None, to, subject: subject.into(), body: body.into(), secret }
}

db_test!(the_relay_sends_the_outbox_once_and_keeps_failures_for_retry, |t| {
    let (port, received) = smtp_server().await;
    let key = &support::SECRET_KEY;
    let relay = Relay::smtp(&format!("smtp://127.0.0.1:{port}"), "Gatehouse <no-reply@gatehouse.test>", key).unwrap();
    let mut conn = t.db.conn().await.unwrap();
    let good =
        enqueue(&mut conn, key, &mail("ana@example.test", "Your code", "Code: 123456", None), NOW).await.unwrap();
    let bad = enqueue(&mut conn, key, &mail("nobody@refused.test", "Hello", "Body", None), NOW).await.unwrap();
    drop(conn);

    let report = relay.send_pending(&t.db, NOW + 5).await.unwrap();
    assert_eq!(report, RelayReport { sent: 1, failed: 1 });
    let received_mail = received.lock().unwrap().clone();
    assert_eq!(received_mail.len(), 1);
    let first = &received_mail[0];
    assert!(first.contains("To: ana@example.test") && first.contains("Subject: Your code"), "{first}");
    assert!(first.contains("Code: 123456"));
    let state = |id: String| async move {
        sqlx::query_as::<_, (Option<i64>, i64, Option<String>)>(
            "SELECT sent_at, attempts, last_error FROM outbox WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap()
    };
    assert_eq!(state(good.clone()).await, (Some(NOW + 5), 1, None));
    let (sent, attempts, error) = state(bad.clone()).await;
    assert_eq!((sent, attempts), (None, 1));
    assert!(error.unwrap().contains("550"));

    // The next rounds send nothing twice and give up on the refused one after MAX_ATTEMPTS.
    for round in 2..=MAX_ATTEMPTS + 1 {
        let report = relay.send_pending(&t.db, NOW + 5 * round).await.unwrap();
        let expected = if round <= MAX_ATTEMPTS { 1 } else { 0 };
        assert_eq!(report, RelayReport { sent: 0, failed: expected }, "round {round}");
    }
    assert_eq!(received.lock().unwrap().len(), 1);
    assert_eq!(state(bad).await.1, MAX_ATTEMPTS);
});

db_test!(secrets_are_sealed_until_sent_and_gone_after, |t| {
    let key = &support::SECRET_KEY;
    let dir = std::env::temp_dir().join(format!("gh-mail-{}", app::db::new_id()));
    let relay = Relay::folder(dir.to_str().unwrap(), "Gatehouse <no-reply@gatehouse.test>", key).unwrap();
    let link = "https://gh.example/invite/s3cr3t-t0ken";
    let body = format!("Join us: {link}\n");
    let mut conn = t.db.conn().await.unwrap();
    let id = enqueue(&mut conn, key, &mail("ivy@example.test", "Invitation", &body, Some((link, NOW + 60))), NOW)
        .await
        .unwrap();
    let expiring =
        enqueue(&mut conn, key, &mail("late@example.test", "Code", "Code 654321", Some(("654321", NOW + 10))), NOW)
            .await
            .unwrap();
    let stored = |id: String| async move {
        sqlx::query_as::<_, (String, Option<String>)>("SELECT body, sealed_body FROM outbox WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *t.db.conn().await.unwrap())
            .await
            .unwrap()
    };
    // What operators (and a database copy) see has no secret in it.
    let (shown, sealed) = stored(id.clone()).await;
    assert_eq!(shown, format!("Join us: {HIDDEN}\n"));
    assert!(!sealed.as_deref().unwrap().contains("s3cr3t"));
    // An expired secret is never sent, and its sealed copy goes.
    assert_eq!(app::mail::purge_expired_secrets(&mut conn, NOW + 10).await.unwrap(), 1);
    drop(conn);
    assert_eq!(stored(expiring).await.1, None);
    let report = relay.send_pending(&t.db, NOW + 10).await.unwrap();
    assert_eq!(report, RelayReport { sent: 1, failed: 0 });
    // The recipient gets the link; afterwards the database holds none.
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1);
    let eml = std::fs::read_to_string(&files[0]).unwrap();
    assert!(eml.contains(link) && eml.contains("To: ivy@example.test"), "{eml}");
    assert_eq!(stored(id).await.1, None, "the sealed copy is deleted once sent");
    std::fs::remove_dir_all(dir).unwrap();
});

#[test]
fn a_bad_smtp_url_is_refused_without_echoing_it() {
    let key = &support::SECRET_KEY;
    let error = Relay::smtp("ftp://user:secret@host", "a@b.test", key).err().unwrap();
    assert!(!error.contains("secret"), "{error}");
    assert!(Relay::smtp("smtp://127.0.0.1:2525", "not an address", key).is_err());
}
