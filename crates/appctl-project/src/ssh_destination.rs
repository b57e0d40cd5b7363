//! Where an `ssh://` docker_host points, as Docker's own CLI reads it: the value an environment's
//! `docker_host` holds, checked when the file is validated and used by the stack's ssh transport.

use anyhow::bail;

/// How long ssh may take to reach the host and finish its handshake; below the engine's 10 s
/// answer limit, so a host that does not answer fails with ssh's own words.
const CONNECT_TIMEOUT_SECS: u32 = 8;

/// Where an `ssh://` docker_host points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

impl Destination {
    /// `ssh://[USER@]HOST[:PORT]`, as Docker's CLI takes it: no password, no path.
    pub fn parse(endpoint: &str) -> anyhow::Result<Destination> {
        const FORM: &str = "an ssh:// docker_host is ssh://[user@]host[:port]";
        // The value is not repeated in errors: it may hold a password.
        let url = url::Url::parse(endpoint)
            .map_err(|e| anyhow::anyhow!("the docker_host cannot be read ({e}): {FORM}"))?;
        if url.scheme() != "ssh" {
            bail!("the docker_host does not start with ssh://");
        }
        if url.password().is_some() {
            bail!(
                "an ssh:// docker_host cannot hold a password\nhint: log in with a key \
                 (ssh-agent, or IdentityFile in ~/.ssh/config)"
            );
        }
        if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
            bail!(
                "a path, query or fragment follows the host: {FORM}\nhint: appctl runs `docker \
                 system dial-stdio` on the host, which reaches that host's own engine; drop the path"
            );
        }
        let host = match url.host() {
            Some(url::Host::Ipv6(address)) => address.to_string(),
            Some(host) => host.to_string(),
            None => bail!("an ssh:// docker_host names no host: {FORM}"),
        };
        let user = percent_encoding::percent_decode_str(url.username())
            .decode_utf8()
            .map_err(|_| anyhow::anyhow!("the user name is not UTF-8"))?;
        // ssh takes a leading `-` as an option, wherever it is.
        for (what, value) in [("host", host.as_str()), ("user", user.as_ref())] {
            if value.starts_with('-') || value.contains(char::is_whitespace) {
                bail!("`{value}` is not a {what} name for ssh");
            }
        }
        if url.port() == Some(0) {
            bail!("`0` is not a port (1 to 65535)");
        }
        Ok(Destination {
            user: (!user.is_empty()).then(|| user.into_owned()),
            host,
            port: url.port(),
        })
    }

    /// ssh's arguments for one connection to the host's engine.
    pub fn ssh_args(&self) -> Vec<String> {
        let mut args = vec![
            "-T".to_string(),
            // No question on the terminal: several connections at once, under a spinner. Keys come
            // from the agent or the config; the host must be in known_hosts already.
            "-o".to_string(),
            "BatchMode=yes".to_string(),
            "-o".to_string(),
            format!("ConnectTimeout={CONNECT_TIMEOUT_SECS}"),
        ];
        if let Some(user) = &self.user {
            args.extend(["-l".to_string(), user.clone()]);
        }
        if let Some(port) = self.port {
            args.extend(["-p".to_string(), port.to_string()]);
        }
        args.extend(
            ["--", &self.host, "docker", "system", "dial-stdio"]
                .iter()
                .map(|a| a.to_string()),
        );
        args
    }

    /// The command that checks by hand what appctl does, for hints.
    pub fn manual_check(&self) -> String {
        let mut command = "ssh".to_string();
        if let Some(port) = self.port {
            command.push_str(&format!(" -p {port}"));
        }
        command.push(' ');
        if let Some(user) = &self.user {
            command.push_str(&format!("{user}@"));
        }
        command.push_str(&self.host);
        command.push_str(" docker version");
        command
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Destination {
        Destination::parse(text).unwrap_or_else(|e| panic!("{text}: {e:#}"))
    }

    fn error(text: &str) -> String {
        format!("{:#}", Destination::parse(text).unwrap_err())
    }

    #[test]
    fn user_host_and_port_go_to_ssh_as_options() {
        let d = parse("ssh://deploy@docker.internal:2222");
        assert_eq!(d.user.as_deref(), Some("deploy"));
        assert_eq!(d.host, "docker.internal");
        assert_eq!(d.port, Some(2222));
        assert_eq!(
            d.ssh_args().join(" "),
            "-T -o BatchMode=yes -o ConnectTimeout=8 -l deploy -p 2222 -- docker.internal docker \
             system dial-stdio"
        );
        assert_eq!(
            d.manual_check(),
            "ssh -p 2222 deploy@docker.internal docker version"
        );
        let alias = parse("ssh://production/");
        assert_eq!(
            (alias.user, alias.host.as_str(), alias.port),
            (None, "production", None)
        );
        let v6 = parse("ssh://root@[2001:db8::1]:22");
        assert_eq!((v6.host.as_str(), v6.port), ("2001:db8::1", Some(22)));
        assert_eq!(parse("ssh://[::1]").host, "::1");
    }

    #[test]
    fn what_docker_would_refuse_is_refused() {
        assert!(error("ssh://deploy:hunter2@host").contains("cannot hold a password"));
        assert!(!error("ssh://deploy:hunter2@host").contains("hunter2"));
        assert!(error("ssh://host/var/run/docker.sock").contains("a path, query or fragment"));
        assert!(error("ssh://host?x=1").contains("a path, query or fragment"));
        assert!(error("ssh://deploy@").contains("ssh://[user@]host[:port]"));
        assert!(error("ssh://host:22x").contains("invalid port number"));
        assert!(error("ssh://host:0").contains("`0` is not a port"));
        assert!(error("ssh://-oProxyCommand=evil").contains("not a host name"));
        assert!(error("ssh://-l@host").contains("not a user name"));
        assert!(error("ssh://[::1").contains("ssh://[user@]host[:port]"));
        assert!(error("tcp://host").contains("does not start with ssh://"));
        assert!(!error("ssh://u:hunter2@host:22x").contains("hunter2"));
        assert_eq!(
            parse("ssh://d%C3%A9ploy@host").user.as_deref(),
            Some("déploy")
        );
    }
}
