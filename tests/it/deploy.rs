//! The files that run trawl on many machines parse, have the shape their
//! engines need, and only use flags trawl has.

use crate::support::{Server, fixture, records, trawl};
use yaml_rust2::{Yaml, YamlLoader};

fn load(rel: &str) -> Vec<Yaml> {
    let path = fixture("..").join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
    YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{rel} is not YAML: {e}"))
}

/// The flags `trawl --help` lists, whole: `--shard` must not pass for
/// `--shard-b`.
fn known_flags() -> std::collections::HashSet<String> {
    let help = trawl().arg("--help").output().expect("trawl --help");
    String::from_utf8_lossy(&help.stdout)
        .split(|c: char| c.is_whitespace() || c == ',' || c == '=' || c == '<' || c == '[')
        .filter(|w| w.starts_with("--"))
        .map(str::to_owned)
        .collect()
}

/// Every `--flag` of the trawl command lines in `script` is one that
/// `trawl --help` lists.
fn flags_exist(script: &str) {
    let known = known_flags();
    let mut n = 0;
    // A trawl command line and its `\` continuation lines.
    let mut in_cmd = false;
    for line in script.lines() {
        in_cmd = line.contains("trawl ") || line.contains("trawl\" ") || in_cmd;
        if in_cmd {
            for word in line.split_whitespace().filter(|w| w.starts_with("--")) {
                let flag = word.trim_end_matches(['\\', ';', '"']);
                assert!(known.contains(flag), "{flag} is not a trawl flag");
                n += 1;
            }
        }
        in_cmd = in_cmd && line.trim_end().ends_with('\\');
    }
    assert!(n >= 2, "no trawl command found in:\n{script}");
}

#[test]
fn the_sharded_workflow_is_a_manual_matrix_that_joins_its_shards() {
    let docs = load(".github/workflows/scrape-sharded.yml");
    let wf = &docs[0];
    assert!(!wf["on"]["workflow_dispatch"]["inputs"]["shards"].is_badvalue());
    let jobs = &wf["jobs"];
    let scrape = &jobs["scrape"];
    assert!(
        scrape["strategy"]["matrix"]["shard"]
            .as_str()
            .is_some_and(|s| s.contains("fromJSON(needs.plan.outputs.shards)")),
        "the matrix comes from the plan job"
    );
    let steps = scrape["steps"].as_vec().expect("steps");
    let run = steps
        .iter()
        .filter_map(|s| s["run"].as_str())
        .find(|r| r.contains("--shard"))
        .expect("a step runs trawl --shard");
    assert!(run.contains("--resume"));
    flags_exist(run);
    assert!(steps.iter().any(|s| {
        s["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with("actions/upload-artifact"))
    }));
    let combine = &jobs["combine"];
    assert_eq!(combine["needs"].as_str(), Some("scrape"));
}

#[test]
fn the_kubernetes_job_is_indexed_and_shards_by_its_index() {
    let docs = load("deploy/k8s-indexed-job.yaml");
    let job = docs
        .iter()
        .find(|d| d["kind"].as_str() == Some("Job"))
        .expect("a Job");
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"].as_str(), Some("Indexed"));
    let completions = spec["completions"].as_i64().expect("completions");
    assert_eq!(spec["parallelism"].as_i64(), Some(completions));
    let container = &spec["template"]["spec"]["containers"][0];
    let shards = container["env"]
        .as_vec()
        .and_then(|env| env.iter().find(|e| e["name"].as_str() == Some("SHARDS")))
        .and_then(|e| e["value"].as_str())
        .expect("SHARDS");
    assert_eq!(shards, completions.to_string(), "SHARDS = completions");
    let script = container["args"][0].as_str().expect("the shell script");
    assert!(script.contains("$((JOB_COMPLETION_INDEX + 1))/$SHARDS"));
    assert!(script.contains("--resume"));
    flags_exist(script);
    assert!(
        docs.iter()
            .any(|d| d["kind"].as_str() == Some("PersistentVolumeClaim"))
    );
}

#[test]
fn the_action_runs_trawl_with_its_inputs_as_the_runner_would() {
    let docs = load("action.yml");
    let action = &docs[0];
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    for input in ["urls", "sitemap", "args"] {
        assert!(!action["inputs"][input].is_badvalue(), "input {input}");
    }
    let steps = action["runs"]["steps"].as_vec().expect("steps");
    let script = steps
        .iter()
        .find(|s| s["id"].as_str() == Some("run"))
        .and_then(|s| s["run"].as_str())
        .expect("the run step");
    let known = known_flags();
    for word in script.split_whitespace() {
        let flag = word.trim_end_matches(['"', ';']);
        if flag.starts_with("--") && flag.len() > 2 {
            assert!(known.contains(flag), "{flag} is not a trawl flag");
        }
    }

    // Run the step's script with bash, the inputs in its environment and
    // trawl on PATH, against a local server.
    let s = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let urls = dir.path().join("urls.txt");
    std::fs::write(
        &urls,
        [s.url("/page/simple.html"), s.url("/page/other.html")].join("\n"),
    )
    .expect("urls");
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_trawl"))
        .parent()
        .expect("bin dir")
        .to_owned();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let step = |args: &str| {
        std::process::Command::new("bash")
            .arg("-c")
            .arg(script)
            .env("URLS", &urls)
            .env("SITEMAP", "")
            .env("ARGS", args)
            .env("RUNNER_TEMP", dir.path())
            .env("GITHUB_OUTPUT", dir.path().join("output.txt"))
            .env("PATH", &path)
            .env("NO_PROXY", "*")
            .env_remove("GITHUB_ACTIONS")
            .env_remove("GITHUB_STEP_SUMMARY")
            .output()
            .expect("bash")
    };
    let ok = step("--expect 'body p' --max-latency 5s -q");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let out = dir.path().join("trawl-records.jsonl");
    let recs = records(&std::fs::read(&out).expect("records file"));
    assert_eq!(recs.len(), 2);
    assert!(recs.iter().all(|r| r["ok"] == true));
    let outputs = std::fs::read_to_string(dir.path().join("output.txt")).expect("outputs");
    assert!(outputs.contains(&format!("records={}", out.display())));
    // An unmet expectation fails the step.
    let bad = step("--expect 'main h1' -q");
    assert_eq!(bad.status.code(), Some(1));
}

#[test]
fn the_smoke_example_uses_the_action_on_a_site_it_serves_itself() {
    let docs = load(".github/workflows/smoke-example.yml");
    let steps = docs[0]["jobs"]["smoke"]["steps"].as_vec().expect("steps");
    let serve = steps
        .iter()
        .filter_map(|s| s["run"].as_str())
        .find(|r| r.contains("http.server"))
        .expect("a step serves the fixtures");
    assert!(serve.contains("-d fixtures/pages") && serve.contains("127.0.0.1 8000"));
    let uses = steps
        .iter()
        .find(|s| s["uses"].as_str() == Some("./"))
        .expect("a step uses the local action");
    let list = uses["with"]["urls"].as_str().expect("urls");
    let text = std::fs::read_to_string(fixture("..").join(list)).expect("the URL list");
    for url in text.lines() {
        let page = url
            .strip_prefix("http://127.0.0.1:8000/")
            .expect("a URL of the served site");
        assert!(fixture("pages").join(page).is_file(), "{page} is a fixture");
    }
    let known = known_flags();
    for flag in uses["with"]["args"]
        .as_str()
        .unwrap_or_default()
        .split_whitespace()
        .filter(|w| w.starts_with("--"))
    {
        assert!(known.contains(flag), "{flag}");
    }
}
