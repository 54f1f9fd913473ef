//! `azkv run`: values reach the child's environment and nowhere else; its exit status passes through.

use crate::support::{Fixture, fails};

/// Runs `azkv run ARGS -- sh -c SCRIPT` and returns its output.
fn run_sh(f: &Fixture, args: &[&str], script: &str) -> std::process::Output {
    let mut all: Vec<&str> = vec!["run"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--", "sh", "-c", script]);
    f.run(&all)
}

#[test]
fn values_reach_the_child_environment_only() {
    let f = Fixture::start("run-env");
    f.set("db-password", "canary-db-7f3a");
    let v1 = f.set("api-key", "canary-api-old")["id"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    f.set("api-key", "canary-api-new");
    f.set("from-file", "canary-file");
    f.set("by-reference", "canary-ref");
    std::fs::write(f.path("app.env"), "# secrets of the app\n\nFROM_FILE=from-file\n").unwrap();
    let reference = format!("@Microsoft.KeyVault(SecretUri={}/secrets/by-reference/)", f.emulator.url());
    let out_file = f.path("seen");
    let script = format!(
        "printf '%s|%s|%s|%s|%s|%s' \"$DB\" \"$API\" \"$OLD\" \"$FROM_FILE\" \"$REF\" \"$PLAIN\" > {}; echo child-ran; echo child-err >&2",
        out_file.display()
    );
    let old = format!("OLD=api-key@{v1}");
    let mut cmd = f.azkv(&[
        "run",
        "--env",
        "DB=db-password",
        "--env",
        "API=api-key",
        "--env",
        &old,
        "--env-file",
        "app.env",
        "--",
        "sh",
        "-c",
        &script,
    ]);
    cmd.env("REF", &reference).env("PLAIN", "left-alone");
    let out = cmd.output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&out_file).unwrap(),
        "canary-db-7f3a|canary-api-new|canary-api-old|canary-file|canary-ref|left-alone"
    );
    assert_eq!(stdout, "child-ran\n", "only the child's own output");
    assert_eq!(stderr, "child-err\n");
    assert!(!format!("{stdout}{stderr}").contains("canary"));
}

#[test]
fn the_exit_status_is_the_commands() {
    let f = Fixture::start("run-exit");
    f.set("s", "v");
    assert_eq!(run_sh(&f, &["--env", "S=s"], "exit 7").status.code(), Some(7));
    assert_eq!(run_sh(&f, &[], "exit 0").status.code(), Some(0));
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        let killed = run_sh(&f, &["--env", "S=s"], "kill -TERM $$");
        assert_eq!(killed.status.signal(), Some(15), "{:?}", killed.status);
    }
    let missing = f.run(&["run", "--", "azkv-no-such-program-here"]);
    assert_eq!(missing.status.code(), Some(127));
    let line = String::from_utf8_lossy(&missing.stderr);
    assert!(line.starts_with("azkv: run: cannot start `azkv-no-such-program-here`: "), "{line}");
}

#[test]
fn a_missing_secret_fails_before_the_command_starts() {
    let f = Fixture::start("run-missing");
    f.set("present", "v");
    let marker = f.path("started");
    let out = run_sh(&f, &["--env", "A=present", "--env", "B=absent"], &format!("touch {}", marker.display()));
    let line = fails(&out);
    assert!(line.starts_with("azkv: run: --env B=absent: not found: "), "{line}");
    assert!(!marker.exists(), "the command must not start");
    // A reference to another vault needs its host's certificate too: here, the same emulator by name.
    let unnamed = f.azkv(&["run", "--env", "A=present", "--", "true"]).env_remove("VAULT_URL").output().unwrap();
    let line = fails(&unnamed);
    assert!(line.starts_with("azkv: --vault-url: no vault given"), "{line}");
}
