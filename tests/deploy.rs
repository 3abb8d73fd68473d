//! The files that run trawl on many machines parse, have the shape their
//! engines need, and only use flags trawl has.

mod support;

use support::{fixture, trawl};
use yaml_rust2::{Yaml, YamlLoader};

fn load(rel: &str) -> Vec<Yaml> {
    let path = fixture("..").join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
    YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{rel} is not YAML: {e}"))
}

/// Every `--flag` of the trawl command lines in `script` is one that
/// `trawl --help` lists.
fn flags_exist(script: &str) {
    let help = trawl().arg("--help").output().expect("trawl --help");
    let help = String::from_utf8_lossy(&help.stdout);
    // The flags --help lists, whole: `--shard` must not pass for `--shard-b`.
    let known: std::collections::HashSet<&str> = help
        .split(|c: char| c.is_whitespace() || c == ',' || c == '=' || c == '<' || c == '[')
        .filter(|w| w.starts_with("--"))
        .collect();
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
    assert!(n >= 4, "no trawl command found in:\n{script}");
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
