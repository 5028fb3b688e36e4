//! `tail -F` behaviour on real files: growth, rotation by rename, copytruncate, resuming after a
//! restart, a file that appears late.

use super::*;
use std::io::Write;
use std::path::Path;

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn poll_lines(tail: &mut Tail) -> Vec<String> {
    let mut got = Vec::new();
    tail.poll(&mut |l| got.push(String::from_utf8_lossy(l).into_owned()))
        .unwrap();
    got
}

#[test]
fn lines_already_in_the_file_at_the_first_start_are_skipped_and_new_lines_are_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.log");
    append(&path, "old 1\nold 2\n");
    let mut tail = Tail::open(path.clone(), None, 1024);
    assert!(poll_lines(&mut tail).is_empty());
    append(&path, "new 1\nnew 2\npartial");
    assert_eq!(poll_lines(&mut tail), ["new 1", "new 2"]);
    assert!(poll_lines(&mut tail).is_empty());
    append(&path, " end\n");
    assert_eq!(poll_lines(&mut tail), ["partial end"]);
}

#[test]
fn a_rotated_file_is_read_to_its_end_and_the_new_file_from_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.log");
    append(&path, "");
    let mut tail = Tail::open(path.clone(), None, 1024);
    append(&path, "a\n");
    assert_eq!(poll_lines(&mut tail), ["a"]);
    // The writer appends one more line, then rotates (rename) and starts a new file.
    append(&path, "b\n");
    std::fs::rename(&path, dir.path().join("agent.log.1")).unwrap();
    assert_eq!(
        poll_lines(&mut tail),
        ["b"],
        "old file read while no new one exists"
    );
    append(&dir.path().join("agent.log.1"), "c\n");
    append(&path, "d\ne\n");
    assert_eq!(poll_lines(&mut tail), ["c", "d", "e"]);
    append(&path, "f\n");
    assert_eq!(poll_lines(&mut tail), ["f"]);
}

#[test]
fn a_file_truncated_in_place_is_read_again_from_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.log");
    append(&path, "");
    let mut tail = Tail::open(path.clone(), None, 1024);
    append(&path, "a long first line\nsecond\n");
    assert_eq!(poll_lines(&mut tail).len(), 2);
    // copytruncate: same inode, cut to zero, then written again (shorter than before).
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(0)
        .unwrap();
    append(&path, "x\n");
    assert_eq!(poll_lines(&mut tail), ["x"]);
}

#[test]
fn a_restarted_follower_resumes_after_the_last_complete_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.log");
    append(&path, "");
    let mut first = Tail::open(path.clone(), None, 1024);
    append(&path, "one\ntwo\nhal");
    assert_eq!(poll_lines(&mut first), ["one", "two"]);
    let saved = first.position();
    drop(first);
    append(&path, "f\nthree\n");
    let mut second = Tail::open(path.clone(), Some(saved), 1024);
    assert_eq!(poll_lines(&mut second), ["half", "three"]);
    // A saved position for another inode (replaced while down): the whole new file is unread.
    std::fs::remove_file(&path).unwrap();
    append(&path, "fresh\n");
    let mut third = Tail::open(path.clone(), Some(second.position()), 1024);
    assert_eq!(poll_lines(&mut third), ["fresh"]);
}

#[test]
fn a_file_that_appears_later_is_read_from_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("later.log");
    let mut tail = Tail::open(path.clone(), None, 1024);
    assert!(poll_lines(&mut tail).is_empty());
    append(&path, "hello\n");
    assert_eq!(poll_lines(&mut tail), ["hello"]);
}

#[test]
fn an_overlong_line_is_cut_to_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.log");
    append(&path, "");
    let mut tail = Tail::open(path.clone(), None, 16);
    append(&path, &format!("{}\nok\n", "y".repeat(1 << 20)));
    let got = poll_lines(&mut tail);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].len(), 16);
    assert_eq!(got[1], "ok");
}
