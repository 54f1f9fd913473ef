//! `--output json|jsonc|table|tsv|none` on real results.

use crate::support::{Fixture, ok};

#[test]
fn every_output_format() {
    let f = Fixture::start("formats");
    let set = f.json(&["secret", "set", "-n", "fmt", "--value", "tabular", "--content-type", "text/plain"]);
    let version = set["id"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();

    let json = ok(&f.run(&["secret", "show", "-n", "fmt", "-o", "json"]));
    assert!(json.starts_with("{\n  \"attributes\": {\n"), "{json}");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&json).unwrap(), set);

    let jsonc = ok(&f.run(&["secret", "show", "-n", "fmt", "--output", "jsonc"]));
    assert!(jsonc.contains("\x1b["), "coloured: {jsonc}");
    let plain: String = strip_ansi(&jsonc);
    assert_eq!(plain, json);

    let table = ok(&f.run(&["secret", "show", "-n", "fmt", "-o", "table"]));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("Name  Version") && lines[0].ends_with("Value"), "{table}");
    assert!(lines[1].starts_with("----  -------"), "{table}");
    assert!(lines[2].starts_with(&format!("fmt   {version}  true     text/plain")), "{table}");
    assert!(lines[2].ends_with("tabular"), "{table}");

    let tsv = ok(&f.run(&["secret", "show", "-n", "fmt", "-o", "tsv"]));
    assert_eq!(tsv, format!("fmt\t{version}\ttrue\ttext/plain\t\ttabular\n"));

    assert_eq!(ok(&f.run(&["secret", "show", "-n", "fmt", "-o", "none"])), "");

    let list_table = ok(&f.run(&["secret", "list", "-o", "table"]));
    assert!(list_table.lines().next().unwrap().ends_with("Updated"), "{list_table}");
    assert!(!list_table.contains("tabular"), "a listing carries no value");
    let list_tsv = ok(&f.run(&["secret", "list", "-o", "tsv"]));
    // A listed secret's id has no version (as the service answers); list-versions' ids do.
    assert!(list_tsv.starts_with("fmt\t\ttrue\ttext/plain\t\t"), "{list_tsv}");
    let versions_tsv = ok(&f.run(&["secret", "list-versions", "-n", "fmt", "-o", "tsv"]));
    assert!(versions_tsv.starts_with(&format!("fmt\t{version}\ttrue\t")), "{versions_tsv}");
    assert_eq!(list_tsv.lines().count(), 1);

    f.json(&["secret", "delete", "-n", "fmt"]);
    let deleted = ok(&f.run(&["secret", "list-deleted", "-o", "tsv"]));
    assert!(deleted.starts_with("fmt\t") && deleted.trim_end().ends_with("/deletedsecrets/fmt"), "{deleted}");
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
