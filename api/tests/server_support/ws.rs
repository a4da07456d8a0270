//! A graphql-transport-ws client (tokio-tungstenite on a runtime of its
//! own, behind blocking calls, so tests mix it freely with the blocking
//! HTTP client).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::runtime::Runtime;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a test waits for one message before it says what is missing.
pub const MESSAGE_TIMEOUT: Duration = Duration::from_secs(10);

/// A refused upgrade: its HTTP status and body.
#[derive(Debug)]
pub struct Refused {
    /// HTTP status.
    pub status: u16,
    /// The body (a GraphQL error document).
    pub body: Value,
}

/// One WebSocket connection to `/graphql/ws`.
pub struct Subscriber {
    runtime: Runtime,
    socket: Socket,
}

impl Subscriber {
    /// Connects and opens the protocol with `token` in `connection_init`;
    /// waits for `connection_ack`, or returns the refused upgrade.
    pub fn connect(addr: &str, token: &str) -> Result<Subscriber, Refused> {
        let mut subscriber = Subscriber::upgrade(addr)?;
        let ack = subscriber.init(token);
        assert_eq!(ack["type"], "connection_ack", "expected an ack, got {ack}");
        Ok(subscriber)
    }

    /// Opens the WebSocket (graphql-transport-ws), or returns the refused
    /// upgrade.
    pub fn upgrade(addr: &str) -> Result<Subscriber, Refused> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the WebSocket client");
        let mut request = format!("ws://{addr}/graphql/ws")
            .into_client_request()
            .expect("a WebSocket request");
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
        match runtime.block_on(connect_async(request)) {
            Ok((socket, _)) => Ok(Subscriber { runtime, socket }),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                let body = response.body().clone().unwrap_or_default();
                Err(Refused {
                    status: response.status().as_u16(),
                    body: serde_json::from_slice(&body).unwrap_or(Value::Null),
                })
            }
            Err(e) => panic!("the WebSocket upgrade failed: {e}"),
        }
    }

    /// Sends `connection_init` with `token`; the server's answer (`Null`
    /// when it closed the connection).
    pub fn init(&mut self, token: &str) -> Value {
        self.send(json!({
            "type": "connection_init",
            "payload": { "Authorization": format!("Bearer {token}") }
        }));
        self.message()
    }

    /// Starts subscription `id`.
    pub fn subscribe(&mut self, id: &str, query: &str) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query } }));
    }

    /// The next protocol message (pings answered, skipped); `Null` when
    /// the server closed the connection. Fails after [`MESSAGE_TIMEOUT`].
    pub fn message(&mut self) -> Value {
        self.message_within(MESSAGE_TIMEOUT)
            .unwrap_or_else(|| panic!("no message within {MESSAGE_TIMEOUT:?}"))
    }

    /// The next protocol message within `timeout`, if any.
    pub fn message_within(&mut self, timeout: Duration) -> Option<Value> {
        loop {
            let socket = &mut self.socket;
            let next = (self.runtime)
                .block_on(async move { tokio::time::timeout(timeout, socket.next()).await });
            let text = match next {
                Err(_) => return None,
                Ok(None | Some(Err(_) | Ok(Message::Close(_)))) => return Some(Value::Null),
                Ok(Some(Ok(Message::Text(text)))) => text,
                Ok(Some(Ok(_))) => continue, // pings (answered by tungstenite), binary
            };
            let message: Value = serde_json::from_str(text.as_str()).expect("a JSON message");
            if message["type"] == "ping" {
                self.send(json!({ "type": "pong" }));
                continue;
            }
            return Some(message);
        }
    }

    /// The payload of the next `next` message of a subscription, within
    /// `timeout`; fails on an `error` message.
    pub fn next_within(&mut self, timeout: Duration) -> Option<Value> {
        let message = self.message_within(timeout)?;
        assert_eq!(message["type"], "next", "expected a result, got {message}");
        Some(message["payload"].clone())
    }

    /// The next result's payload (fails after [`MESSAGE_TIMEOUT`]).
    pub fn next(&mut self) -> Value {
        self.next_within(MESSAGE_TIMEOUT)
            .unwrap_or_else(|| panic!("no event within {MESSAGE_TIMEOUT:?}"))
    }

    fn send(&mut self, message: Value) {
        let text = message.to_string();
        self.runtime
            .block_on(self.socket.send(Message::text(text)))
            .expect("a message sent");
    }
}
