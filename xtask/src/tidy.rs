//! `tidy`: checks over the source tree that no compiler makes (module docs, whitespace, file length, dependency versions and use), run as tests of xtask.

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    /// Every `.rs` file of the workspace (generated ones included), outside `target/`.
    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if path.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    rust_files(&path, out);
                }
            } else if name.ends_with(".rs") {
                out.push(path);
            }
        }
    }

    /// The longest a hand-written file may be.
    const MAX_LINES: usize = 500;

    #[test]
    fn every_rust_file_opens_with_a_module_doc_has_no_trailing_whitespace_and_stays_short() {
        let root = crate::project_root();
        let mut files = Vec::new();
        for dir in ["crates", "examples", "xtask", "benches"] {
            rust_files(&root.join(dir), &mut files);
        }
        assert!(files.len() > 100, "found only {} files", files.len());
        let mut problems = Vec::new();
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            let shown = file.strip_prefix(&root).unwrap_or(file).display();
            // A crate root may instead open with its README as its docs.
            if !text.starts_with("//!") && !text.starts_with("#![doc = include_str!(\"../README.md\")]") {
                problems.push(format!("{shown}: does not open with a `//!` line (or a crate root with its README)"));
            }
            let generated = file.components().any(|c| c.as_os_str() == "generated");
            let lines = text.lines().count();
            if !generated && lines > MAX_LINES {
                problems.push(format!("{shown}: {lines} lines, more than {MAX_LINES}: split it by concept"));
            }
            for (i, line) in text.lines().enumerate() {
                if line.ends_with(' ') || line.ends_with('\t') {
                    problems.push(format!("{shown}:{}: trailing whitespace", i + 1));
                }
            }
        }
        assert!(problems.is_empty(), "tidy:\n{}", problems.join("\n"));
    }

    /// Internal dependencies carry a version (through the workspace's entry, which has one), so
    /// that the crates can be published; internal dev-dependencies carry none, so that
    /// publishing does not need them on the registry.
    #[test]
    fn internal_dependencies_are_versioned_and_dev_dependencies_are_not() {
        let root = crate::project_root();
        let mut problems = Vec::new();
        let crates = std::fs::read_dir(root.join("crates")).unwrap();
        for dir in crates.flatten() {
            let manifest = dir.path().join("Cargo.toml");
            let Ok(text) = std::fs::read_to_string(&manifest) else { continue };
            let mut section = String::new();
            for line in text.lines() {
                let line = line.trim();
                if line.starts_with('[') {
                    section = line.to_owned();
                    continue;
                }
                if !line.starts_with("azkv-") {
                    continue;
                }
                let versioned =
                    line.contains("workspace = true") || line.contains(".workspace") || line.contains("version");
                let shown = manifest.strip_prefix(&root).unwrap_or(&manifest).display();
                match section.as_str() {
                    "[dependencies]" if !versioned => problems.push(format!("{shown}: `{line}` has no version")),
                    "[dev-dependencies]" if versioned => {
                        problems.push(format!("{shown}: dev-dependency `{line}` carries a version"))
                    }
                    _ => {}
                }
            }
        }
        assert!(problems.is_empty(), "tidy:\n{}", problems.join("\n"));
    }

    /// The text of every `.rs` file below `dir` (generated ones included).
    fn sources(dir: &Path) -> String {
        let mut files = Vec::new();
        rust_files(dir, &mut files);
        files.iter().filter_map(|f| std::fs::read_to_string(f).ok()).collect::<Vec<_>>().join("\n")
    }

    /// Whether `code` names the crate `ident` (as a path, an import or an attribute).
    fn mentions(code: &str, ident: &str) -> bool {
        [format!("{ident}::"), format!("use {ident}"), format!("extern crate {ident}"), format!("{ident}!")]
            .iter()
            .any(|needle| code.contains(needle.as_str()))
    }

    /// Every dependency is used: a normal one by the crate's own code (`src/`, `build.rs`), a
    /// dev-dependency by its tests, benches, examples or code.
    #[test]
    fn every_dependency_is_used() {
        let root = crate::project_root();
        let mut problems = Vec::new();
        let mut packages: Vec<PathBuf> =
            std::fs::read_dir(root.join("crates")).unwrap().flatten().map(|d| d.path()).collect();
        // Not `doctests`: its dependencies are used by the Markdown it includes.
        packages.extend(["examples", "xtask", "benches/throughput"].map(|p| root.join(p)));
        for dir in packages {
            let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else { continue };
            let manifest: toml::Table = toml::from_str(&text).unwrap();
            let package = manifest["package"]["name"].as_str().unwrap().to_owned();
            // Examples may use normal dependencies (in the `examples` package they are its point).
            let own = sources(&dir.join("src"))
                + &sources(&dir.join("examples"))
                + &std::fs::read_to_string(dir.join("build.rs")).unwrap_or_default();
            let all = sources(&dir);
            for (section, code) in [("dependencies", &own), ("dev-dependencies", &all), ("build-dependencies", &own)] {
                let Some(deps) = manifest.get(section).and_then(|d| d.as_table()) else { continue };
                for name in deps.keys() {
                    let renamed = deps[name].get("package").and_then(|p| p.as_str());
                    // The crate's own path to itself (a dev-dependency turning on its features).
                    if renamed.unwrap_or(name) == package {
                        continue;
                    }
                    // Packages whose library has another name.
                    let lib = match renamed.unwrap_or(name) {
                        "rustls-webpki" => "webpki".to_owned(),
                        other => other.replace('-', "_"),
                    };
                    if !mentions(code, &lib) {
                        problems.push(format!("{package}: {section} `{name}` is not used"));
                    }
                }
            }
        }
        assert!(problems.is_empty(), "tidy:\n{}", problems.join("\n"));
    }
}
