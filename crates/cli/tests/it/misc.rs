//! `azkv emulator`, completions, the man page, help and clap's exit code.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::support::{bare, fails, ok, temp_dir};

#[test]
fn the_emulator_subcommand_serves_a_vault_the_cli_can_use() {
    let dir = temp_dir("emulator");
    let mut child =
        bare(&dir, &["emulator", "--port", "0"]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let ready: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert_eq!(ready["ready"], true);
    assert_eq!(ready["auth"], "strict");
    let url = ready["url"].as_str().unwrap();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let ca = ready["ca_path"].as_str().unwrap();

    // One binary is enough offline: the CLI against its own emulator, strict tokens and all.
    let mut set =
        bare(&dir, &["secret", "set", "-n", "offline", "--value", "works", "--vault-url", url, "--ca-file", ca]);
    set.env("IDENTITY_ENDPOINT", ready["token_endpoint"].as_str().unwrap())
        .env("IDENTITY_HEADER", ready["identity_header"].as_str().unwrap());
    let out = set.output();
    child.kill().unwrap();
    child.wait().unwrap();
    let stdout = ok(&out.unwrap());
    assert_eq!(serde_json::from_str::<serde_json::Value>(&stdout).unwrap()["value"], "works");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn completions_and_man_page() {
    let dir = temp_dir("completions");
    for (shell, marker) in [("bash", "_azkv()"), ("zsh", "#compdef azkv"), ("fish", "complete -c azkv")] {
        let script = ok(&bare(&dir, &["completions", shell]).output().unwrap());
        assert!(script.contains(marker), "{shell}");
        assert!(script.contains("list-versions"), "{shell}");
    }
    let man = ok(&bare(&dir, &["man"]).output().unwrap());
    assert!(man.starts_with(".ie") || man.contains(".TH azkv"), "{}", &man[..man.len().min(200)]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let dir = temp_dir("usage");
    let unknown = bare(&dir, &["secret", "shwo"]).output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    let format = bare(&dir, &["secret", "list", "-o", "yaml"]).output().unwrap();
    assert_eq!(format.status.code(), Some(2));
    let help = bare(&dir, &["secret", "set", "--help"]).output().unwrap();
    let text = ok(&help);
    assert!(text.contains("--value") && text.contains("ps"), "{text}");
    let line = fails(
        &bare(&dir, &["secret", "list", "--vault-name", "myvault", "--ca-file", "/nonexistent.pem"]).output().unwrap(),
    );
    assert!(line.starts_with("azkv: --ca-file /nonexistent.pem: cannot read: "), "{line}");
    let _ = std::fs::remove_dir_all(&dir);
}
