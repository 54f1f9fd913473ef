//! Where the throughput processes run: the servers on one CPU, the clients on the others,
//! except in cells of concurrency 1, where each client runs on the servers' CPU.
//!
//! On a small machine a client and the server it measures otherwise share every core, and the
//! figures then follow the scheduler's interplay between two busy multi-threaded processes
//! more than the client: on this 2-core VM, 20,000 sets at concurrency 16 against the emulator
//! ran at 27k/s for azkv and 37k/s for raw reqwest unpinned, and at 44k/s and 46k/s with the
//! emulator on one core and the client on the other, each client spending less CPU per set.
//! A client and a vault on different machines is also the setup users have.
//!
//! At concurrency 1 the opposite holds: client and server take turns, so on two CPUs each
//! operation waits twice for the hypervisor to wake an idle virtual CPU. On this VM that was
//! about 80 µs of a 100 µs get against the bare server, the same for every client (azkv 9.8k,
//! Microsoft's crate 7.9k gets/s), against 21 µs and 36 µs per get with both on one CPU (46k
//! and 27k/s). On one CPU a cell of concurrency 1 measures the software, not the wake-ups.

use std::process::Command;

use anyhow::Context as _;

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
        pinned(self.cpus.as_ref().map(|(server, _)| server.as_str()), command)
    }

    /// `command`, to run on the clients' CPUs (where a client's process starts, and a
    /// runtime sized from its affinity gets one worker per client CPU).
    pub(super) fn client(&self, command: Command) -> Command {
        pinned(self.cpus.as_ref().map(|(_, clients)| clients.as_str()), command)
    }

    /// `command`, to run one block of a cell of `concurrency` (a process per block).
    pub(super) fn client_for(&self, command: Command, concurrency: usize) -> Command {
        pinned(self.client_cpus(concurrency), command)
    }

    /// Moves the running client `pid` (every thread) to where cells of `concurrency` run.
    pub(super) fn place(&self, pid: u32, concurrency: usize) -> anyhow::Result<()> {
        let Some(mut command) = self.place_command(pid, concurrency) else { return Ok(()) };
        let out = command.output().context("cannot run taskset")?;
        if !out.status.success() {
            anyhow::bail!("taskset could not move process {pid}: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        Ok(())
    }

    fn place_command(&self, pid: u32, concurrency: usize) -> Option<Command> {
        let cpus = self.client_cpus(concurrency)?;
        let mut command = Command::new("taskset");
        command.args(["-a", "-p", "-c", cpus, &pid.to_string()]);
        Some(command)
    }

    /// The CPUs for a client in a cell of `concurrency`: the servers' at 1, the clients' above.
    fn client_cpus(&self, concurrency: usize) -> Option<&str> {
        let (server, clients) = self.cpus.as_ref()?;
        Some(if concurrency == 1 { server } else { clients })
    }

    /// What the report says of it.
    pub(super) fn describe(&self) -> String {
        match &self.cpus {
            Some((server, clients)) => format!(
                "servers pinned to CPU {server}, clients to CPU {clients} (`taskset -c`), so that a client and \
                 its server do not share cores; in the cells of concurrency 1 every client runs on CPU {server} \
                 (moved with `taskset -a -p` before the cell), so that an operation does not wait for the \
                 hypervisor to wake an idle CPU twice"
            ),
            None => "not pinned (one CPU, or no `taskset`): clients and servers share the cores".to_owned(),
        }
    }
}

/// `taskset -c cpus` running `command`'s program with its arguments, environment and
/// directory (the caller sets the standard streams afterwards, as before); `command` itself
/// where there are no CPUs to pin to.
fn pinned(cpus: Option<&str>, command: Command) -> Command {
    let Some(cpus) = cpus else { return command };
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

    #[test]
    fn at_concurrency_one_a_client_runs_on_the_servers_cpu() {
        let placement = Placement { cpus: Some(("3".into(), "0-2".into())) };
        let args = |c: Command| c.get_args().map(|a| a.to_str().unwrap().to_owned()).collect::<Vec<_>>();
        assert_eq!(args(placement.client_for(Command::new("/bin/prog"), 1)), ["-c", "3", "/bin/prog"]);
        assert_eq!(args(placement.client_for(Command::new("/bin/prog"), 16)), ["-c", "0-2", "/bin/prog"]);
        assert_eq!(args(placement.place_command(42, 1).unwrap()), ["-a", "-p", "-c", "3", "42"]);
        assert_eq!(args(placement.place_command(42, 64).unwrap()), ["-a", "-p", "-c", "0-2", "42"]);
        let unpinned = Placement { cpus: None };
        assert!(unpinned.place_command(42, 1).is_none());
        assert!(unpinned.place(42, 1).is_ok(), "nothing to move");
        assert_eq!(unpinned.client_for(Command::new("/bin/prog"), 1).get_program(), "/bin/prog");
    }
}
