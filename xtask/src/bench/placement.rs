//! Where the throughput processes run: the servers on one CPU, the clients on the others.
//!
//! On a small machine a client and the server it measures otherwise share every core, and the
//! figures then follow the scheduler's interplay between two busy multi-threaded processes
//! more than the client: on this 2-core VM, 20,000 sets at concurrency 16 against the emulator
//! ran at 27k/s for azkv and 37k/s for raw reqwest unpinned, and at 44k/s and 46k/s with the
//! emulator on one core and the client on the other, each client spending less CPU per set.
//! A client and a vault on different machines is also the setup users have.

use std::process::Command;

/// The CPU lists given to `taskset`, or nothing where it cannot be done (one CPU, or no
/// `taskset`).
#[derive(Debug, Clone)]
pub(super) struct Placement {
    cpus: Option<(String, String)>,
}

impl Placement {
    /// The last CPU for the servers and the others for the clients, when the machine has at
    /// least two CPUs and `taskset` runs.
    pub(super) fn detect() -> Self {
        let n = std::thread::available_parallelism().map_or(1, usize::from);
        let taskset = Command::new("taskset").arg("-V").output().is_ok_and(|o| o.status.success());
        let cpus = (n >= 2 && taskset).then(|| {
            let clients = if n == 2 { "0".to_owned() } else { format!("0-{}", n - 2) };
            ((n - 1).to_string(), clients)
        });
        Self { cpus }
    }

    /// `command`, to run on the servers' CPU.
    pub(super) fn server(&self, command: Command) -> Command {
        match &self.cpus {
            Some((server, _)) => pinned(server, &command),
            None => command,
        }
    }

    /// `command`, to run on the clients' CPUs.
    pub(super) fn client(&self, command: Command) -> Command {
        match &self.cpus {
            Some((_, clients)) => pinned(clients, &command),
            None => command,
        }
    }

    /// What the report says of it.
    pub(super) fn describe(&self) -> String {
        match &self.cpus {
            Some((server, clients)) => format!(
                "servers pinned to CPU {server}, clients to CPU {clients} (`taskset -c`), so that a client and \
                 its server do not share cores"
            ),
            None => "not pinned (one CPU, or no `taskset`): clients and servers share the cores".to_owned(),
        }
    }
}

/// `taskset -c cpus` running `command`'s program with its arguments, environment and
/// directory (the caller sets the standard streams afterwards, as before).
fn pinned(cpus: &str, command: &Command) -> Command {
    let mut out = Command::new("taskset");
    out.arg("-c").arg(cpus).arg(command.get_program()).args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => out.env(key, value),
            None => out.env_remove(key),
        };
    }
    if let Some(dir) = command.get_current_dir() {
        out.current_dir(dir);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pinned_command_keeps_program_arguments_and_environment() {
        let mut command = Command::new("/bin/prog");
        command.args(["blocks", "azkv"]).env("BENCH_OPS", "10").env_remove("RUST_LOG").current_dir("/tmp");
        let placement = Placement { cpus: Some(("1".into(), "0".into())) };
        let server = placement.server(Command::new("/bin/server"));
        let client = placement.client(command);
        assert_eq!(client.get_program(), "taskset");
        let args: Vec<_> = client.get_args().map(|a| a.to_str().unwrap()).collect();
        assert_eq!(args, ["-c", "0", "/bin/prog", "blocks", "azkv"]);
        let envs: Vec<_> =
            client.get_envs().map(|(k, v)| (k.to_str().unwrap(), v.map(|v| v.to_str().unwrap()))).collect();
        assert!(envs.contains(&("BENCH_OPS", Some("10"))) && envs.contains(&("RUST_LOG", None)), "{envs:?}");
        assert_eq!(client.get_current_dir().unwrap(), std::path::Path::new("/tmp"));
        assert_eq!(server.get_args().map(|a| a.to_str().unwrap()).collect::<Vec<_>>(), ["-c", "1", "/bin/server"]);
        let unpinned = Placement { cpus: None }.client(Command::new("/bin/prog"));
        assert_eq!(unpinned.get_program(), "/bin/prog");
    }
}
