//! `depends_on` mistakes would leave an agent waiting forever, so they are config errors with the key
//! and line: an unknown name, a self-dependency, a disabled dependency and a cycle. The hang keys are
//! bounded too.

mod config_support;

use config_support::{keys_and_lines, no_env, problems};
use healing_core::config_load::load_from_str;
use std::path::Path;

fn load(
    src: &str,
) -> Result<healing_core::config_load::LoadedConfig, healing_core::config_load::ConfigError> {
    load_from_str(
        src,
        Some(Path::new("/p/healing.toml")),
        Path::new("/p"),
        &no_env,
    )
}

const HEAD: &str = "[[agents]]\nname = \"a\"\ncommand = [\"true\"]\n";

#[test]
fn a_valid_graph_loads_with_readiness_defaults() {
    let src =
        format!("{HEAD}[[agents]]\nname = \"b\"\ncommand = [\"true\"]\ndepends_on = [\"a\"]\n");
    let cfg = load(&src).unwrap().config;
    assert_eq!(cfg.agents[1].depends_on, ["a"]);
    assert_eq!(cfg.agents[1].ready_after, std::time::Duration::from_secs(2));
    assert_eq!(cfg.agents[1].health_failure_threshold, 3);
}

#[test]
fn unknown_self_and_disabled_dependencies_are_named_with_their_line() {
    let src = format!(
        "{HEAD}depends_on = [\"a\", \"ghost\"]\n\
         [[agents]]\nname = \"off\"\ncommand = [\"true\"]\nenabled = false\n\
         [[agents]]\nname = \"c\"\ncommand = [\"true\"]\ndepends_on = [\"off\"]\n"
    );
    let found = problems(load(&src));
    let got = keys_and_lines(&found);
    assert_eq!(
        got,
        [
            ("agents[0].depends_on[0]".to_string(), Some(4)),
            ("agents[0].depends_on[1]".to_string(), Some(4)),
            ("agents[2].depends_on[0]".to_string(), Some(12)),
        ],
        "{found:#?}"
    );
    assert!(found[0].message.contains("itself"), "{found:#?}");
    assert!(found[1].message.contains("ghost"), "{found:#?}");
    assert!(found[2].message.contains("disabled"), "{found:#?}");
}

#[test]
fn a_cycle_is_a_config_error_that_names_its_path() {
    let src = "[[agents]]\nname = \"a\"\ncommand = [\"true\"]\ndepends_on = [\"c\"]\n\
               [[agents]]\nname = \"b\"\ncommand = [\"true\"]\ndepends_on = [\"a\"]\n\
               [[agents]]\nname = \"c\"\ncommand = [\"true\"]\ndepends_on = [\"b\"]\n";
    let found = problems(load(src));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].key, "agents[0].depends_on");
    assert_eq!(found[0].line, Some(4));
    assert_eq!(found[0].message, "dependency cycle: a -> c -> b -> a");
}

#[test]
fn hang_detection_keys_are_bounded() {
    let src =
        format!("{HEAD}health_failure_threshold = 0\nhealth_period = \"0s\"\ndump_command = []\n");
    let keys: Vec<String> = problems(load(&src)).into_iter().map(|p| p.key).collect();
    assert_eq!(
        keys,
        [
            "agents[0].health_failure_threshold",
            "agents[0].health_period",
            "agents[0].dump_command"
        ]
    );
}
