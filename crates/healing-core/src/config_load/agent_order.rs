//! Checks of the keys that relate agents to each other (`depends_on`) and of the hang-detection keys:
//! a dependency must name another enabled agent, and the graph must have no cycle — either would leave
//! an agent waiting forever.

use super::keypath::KeyPath;
use super::rules::{argv, at_least, non_zero};
use super::validate::Report;
use crate::config::AgentConfig;
use std::collections::BTreeMap;

pub(crate) fn check(r: &mut Report, base: &KeyPath, agents: &[AgentConfig]) {
    let index: BTreeMap<&str, usize> = agents
        .iter()
        .enumerate()
        .map(|(i, a)| (a.name.as_str(), i))
        .collect();
    for (i, a) in agents.iter().enumerate() {
        let at = base.index(i);
        at_least(
            r,
            at.key("health_failure_threshold"),
            u64::from(a.health_failure_threshold),
            1,
        );
        if let Some(p) = a.health_period {
            non_zero(r, at.key("health_period"), p);
        }
        if let Some(cmd) = &a.dump_command {
            argv(r, at.key("dump_command"), cmd);
        }
        for (j, dep) in a.depends_on.iter().enumerate() {
            let key = at.key("depends_on").index(j);
            match index.get(dep.as_str()) {
                None => r.problem(key, format!("unknown agent {dep:?}")),
                Some(&d) if d == i => r.problem(key, "an agent cannot depend on itself"),
                Some(&d) if a.enabled && !agents[d].enabled => r.problem(
                    key,
                    format!("{dep:?} is disabled: {:?} would never start", a.name),
                ),
                Some(_) => {}
            }
        }
    }
    if let Some(cycle) = find_cycle(agents, &index) {
        let names: Vec<&str> = cycle.iter().map(|&i| agents[i].name.as_str()).collect();
        r.problem(
            base.index(cycle[0]).key("depends_on"),
            format!("dependency cycle: {}", names.join(" -> ")),
        );
    }
}

/// The first cycle found, as agent indices with the first repeated at the end.
fn find_cycle(agents: &[AgentConfig], index: &BTreeMap<&str, usize>) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut marks = vec![Mark::New; agents.len()];
    for start in 0..agents.len() {
        if marks[start] != Mark::New {
            continue;
        }
        // Iterative DFS: (node, next dependency to look at).
        let mut stack = vec![(start, 0usize)];
        marks[start] = Mark::Open;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let deps = &agents[node].depends_on;
            if *next >= deps.len() {
                marks[node] = Mark::Done;
                stack.pop();
                continue;
            }
            let dep = index.get(deps[*next].as_str()).copied();
            *next += 1;
            let Some(d) = dep.filter(|&d| d != node) else {
                continue;
            };
            match marks[d] {
                Mark::New => {
                    marks[d] = Mark::Open;
                    stack.push((d, 0));
                }
                Mark::Open => {
                    let from = stack.iter().position(|&(n, _)| n == d).unwrap_or(0);
                    let mut cycle: Vec<usize> = stack[from..].iter().map(|&(n, _)| n).collect();
                    cycle.push(d);
                    return Some(cycle);
                }
                Mark::Done => {}
            }
        }
    }
    None
}
