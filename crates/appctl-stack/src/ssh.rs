//! `ssh://[USER@]HOST[:PORT]` Docker hosts, the way Docker's own CLI reaches them: every connection
//! to the engine is one `ssh -T [-l USER] [-p PORT] -- HOST docker system dial-stdio`, a child
//! process of appctl whose stdin and stdout carry the Docker API.
//!
//! Not bollard's ssh transport (the `openssh` crate), which the end-to-end test showed to be
//! unusable here in three ways: bollard hands it only the URL's authority, so the port of
//! `ssh://host:2222` reached ssh as part of the host name and the connection failed; each connection
//! launched an ssh master with `ControlPersist=yes` in a new session, so Ctrl-C at the deploy's
//! question or in `logs -f` left ssh processes (and their logins on the host) running for good, and
//! their control directories in ~/.local/state; and it passed `StrictHostKeyChecking=accept-new` on
//! the command line, overriding the user's ssh config. Here ssh is an ordinary child: it reads the
//! user's ~/.ssh/config (aliases, keys, ProxyJump, ControlMaster for sharing one login), it gets the
//! terminal's Ctrl-C with appctl, and it is killed when its connection is dropped.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::process::Stdio;
use std::task::{Context, Poll, ready};

use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, ReadBuf};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::task::JoinHandle;

pub use appctl_project::ssh_destination::Destination;

/// The tail of ssh's stderr kept for an error message.
const STDERR_LIMIT: usize = 4096;

/// A Docker client whose connections are ssh children running `docker system dial-stdio`.
pub fn connect(
    destination: Destination,
    timeout: u64,
) -> Result<bollard::Docker, bollard::errors::Error> {
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .build(Connector { destination });
    bollard::Docker::connect_with_custom_transport(
        move |request: bollard::BollardRequest| {
            let response = client.request(request);
            async move { response.await.map_err(bollard::errors::Error::from) }
        },
        // The requests' URLs; the connector ignores them.
        Some("ssh://docker-host"),
        timeout,
        bollard::API_DEFAULT_VERSION,
    )
}

#[derive(Clone)]
struct Connector {
    destination: Destination,
}

impl tower_service::Service<hyper::Uri> for Connector {
    type Response = TokioIo<DialStdio>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: hyper::Uri) -> Self::Future {
        let args = self.destination.ssh_args();
        Box::pin(async move { DialStdio::spawn(&args).map(TokioIo::new) })
    }
}

/// One connection: ssh's stdin and stdout. ssh is killed when it is dropped.
struct DialStdio {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    /// Reads ssh's stderr until ssh ends; its tail, for an error.
    stderr: Option<JoinHandle<String>>,
    /// Whether a byte came back, i.e. the login and `docker system dial-stdio` worked.
    answered: bool,
}

impl DialStdio {
    fn spawn(args: &[String]) -> io::Result<DialStdio> {
        let mut child = Command::new("ssh")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("cannot run ssh: {e}")))?;
        let (Some(stdin), Some(stdout), Some(mut stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(io::Error::other("ssh started without its pipes"));
        };
        let stderr = tokio::spawn(async move {
            let mut tail = Vec::new();
            let mut chunk = [0u8; 1024];
            while let Ok(n) = stderr.read(&mut chunk).await {
                if n == 0 {
                    break;
                }
                tail.extend_from_slice(&chunk[..n]);
                if tail.len() > STDERR_LIMIT {
                    tail.drain(..tail.len() - STDERR_LIMIT);
                }
            }
            String::from_utf8_lossy(&tail).trim().to_string()
        });
        Ok(DialStdio {
            child,
            stdin: Some(stdin),
            stdout,
            stderr: Some(stderr),
            answered: false,
        })
    }

    /// Why a connection that never answered ended: ssh's last words, once it has said them.
    fn poll_failure(&mut self, cx: &mut Context<'_>, what: &str) -> Poll<io::Error> {
        let said = match self.stderr.as_mut() {
            Some(task) => {
                let said = ready!(Pin::new(task).poll(cx)).unwrap_or_default();
                self.stderr = None;
                said
            }
            None => String::new(),
        };
        let status = match self.child.try_wait() {
            Ok(Some(status)) => format!(" ({status})"),
            _ => String::new(),
        };
        let message = if said.is_empty() {
            format!("ssh {what} without an answer from `docker system dial-stdio`{status}")
        } else if said.starts_with("ssh: ") {
            said
        } else {
            format!("ssh: {said}")
        };
        Poll::Ready(io::Error::new(io::ErrorKind::ConnectionAborted, message))
    }
}

impl AsyncRead for DialStdio {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.stdout).poll_read(cx, buf))?;
        if buf.filled().len() > before {
            this.answered = true;
        } else if !this.answered {
            // The end before any answer: ssh failed (refused, unknown host key, no docker there).
            return this.poll_failure(cx, "ended").map(Err);
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for DialStdio {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let Some(stdin) = this.stdin.as_mut() else {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        };
        match ready!(Pin::new(stdin).poll_write(cx, data)) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe && !this.answered => {
                this.poll_failure(cx, "ended").map(Err)
            }
            other => Poll::Ready(other),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().stdin.as_mut() {
            Some(stdin) => Pin::new(stdin).poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Closing stdin is how the other end learns that no more requests come.
        let this = self.get_mut();
        if let Some(stdin) = this.stdin.as_mut() {
            ready!(Pin::new(stdin).poll_shutdown(cx))?;
        }
        this.stdin = None;
        Poll::Ready(Ok(()))
    }
}

impl Connection for DialStdio {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}
