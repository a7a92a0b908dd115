//! The directory walk behind grep, trees, file searches, analysis and resource listings.
//!
//! Hand-written on purpose: the `ignore` crate's walker opens directories and `.gitignore` files
//! by ambient path and follows a `.gitignore` that is a symlink, so a component swapped for a
//! symlink mid-walk could make it list (or read rules from) a directory outside the jail. This
//! walker reads every directory through a handle opened *beneath* its root with no symlink
//! followed, opens each file through its parent's handle by single name (`O_NOFOLLOW`), never
//! descends into symlinks, and reads ignore files the same way. It reuses `ignore`'s `Gitignore`
//! matcher for the rules themselves (`.gitignore`, `.ignore` and `.git/info/exclude`, applied
//! whether or not the tree is a git repository, like `rg` with `require_git(false)`).
//!
//! Bounds: a deadline and a stop flag are checked at every entry; the caller's visitor stops the
//! walk when its own caps are reached; pending directories are kept as paths (no open handle
//! each), so a wide tree cannot exhaust file descriptors. One thread walks in sorted order
//! (deterministic answers for listings); several threads share a LIFO queue (grep, analysis).

use std::{
    collections::VecDeque,
    ffi::{OsStr, OsString},
    io::Read as _,
    path::{Path, PathBuf},
    sync::{
        Arc, Condvar, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Instant,
};

use cap_fs_ext::DirExt as _;
use cap_std::fs::Dir;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::jail::{Kind, Root, read_options};

/// Largest ignore file read.
const MAX_IGNORE_FILE_BYTES: u64 = 1024 * 1024;
/// How many error messages a report keeps (the count keeps going).
const MAX_ERRORS_KEPT: usize = 10;

/// In which order directories are visited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    /// Sorted names, files of a directory before its subdirectories, depth first (one thread).
    Sorted,
    /// Sorted names, level by level (one thread): a truncated tree shows the top levels.
    BreadthFirst,
    /// Whatever is fastest; the caller sorts its results.
    Parallel,
}

/// How to walk.
#[derive(Debug, Clone)]
pub(crate) struct WalkOptions {
    /// Include names starting with `.`.
    pub hidden: bool,
    /// Honour `.gitignore`, `.ignore` and `.git/info/exclude`, and skip `.git` directories.
    pub ignore_files: bool,
    /// Deepest level visited (1 = entries of the start directory only).
    pub max_depth: Option<usize>,
    /// Visit order (and thread count: `Parallel` uses `threads`).
    pub order: Order,
    /// Worker threads for `Order::Parallel`.
    pub threads: usize,
    /// When to give up.
    pub deadline: Instant,
    /// Set from outside (the call was cancelled or timed out) to stop early.
    pub cancel: Arc<AtomicBool>,
}

/// One entry found by the walk.
pub(crate) struct Entry<'a> {
    /// Path relative to the root (not to the start directory).
    pub rel: &'a Path,
    /// The entry's name.
    pub name: &'a OsStr,
    /// What it is (not following symlinks).
    pub kind: Kind,
    /// Handle of the directory holding it: open the entry through this, by `name`.
    pub dir: &'a Dir,
}

impl Entry<'_> {
    /// Open this entry as a file to read, race-free (single name, `O_NOFOLLOW`, `O_NONBLOCK`).
    pub(crate) fn open(&self) -> std::io::Result<std::fs::File> {
        Ok(self.dir.open_with(self.name, &read_options())?.into_std())
    }
}

/// What the visitor wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Visit {
    /// Go on (and descend into this entry if it is a directory).
    Continue,
    /// Do not descend into this directory.
    Skip,
    /// Stop the whole walk (a cap was reached).
    Stop,
}

/// Why a walk ended early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stopped {
    /// The deadline passed.
    Deadline,
    /// The call was cancelled.
    Cancelled,
    /// The visitor asked (a result cap).
    Limit,
}

/// What happened during a walk.
#[derive(Debug)]
pub(crate) struct WalkReport {
    /// Why it ended early, if it did.
    pub stopped: Option<Stopped>,
    /// Unreadable directories and ignore files.
    pub error_count: u64,
    /// The first few error messages.
    pub errors: Vec<String>,
}

/// Rules from ignore files, innermost first.
struct IgnoreLevel {
    matcher: Gitignore,
    parent: Option<Arc<IgnoreLevel>>,
}

fn is_ignored(level: Option<&Arc<IgnoreLevel>>, abs: &Path, is_dir: bool) -> bool {
    let mut cur = level;
    while let Some(l) = cur {
        let m = l.matcher.matched(abs, is_dir);
        if m.is_ignore() {
            return true;
        }
        if m.is_whitelist() {
            return false;
        }
        cur = l.parent.as_ref();
    }
    false
}

/// A directory waiting to be read.
struct Job {
    rel: PathBuf,
    depth: usize,
    ignore: Option<Arc<IgnoreLevel>>,
}

struct Queue {
    jobs: VecDeque<Job>,
    active: usize,
}

struct Shared<'r> {
    root: &'r Root,
    opts: &'r WalkOptions,
    queue: Mutex<Queue>,
    wake: Condvar,
    stop: AtomicBool,
    stopped: Mutex<Option<Stopped>>,
    error_count: AtomicU64,
    errors: Mutex<Vec<String>>,
}

impl Shared<'_> {
    fn halt(&self, why: Stopped) {
        if let Ok(mut s) = self.stopped.lock() {
            s.get_or_insert(why);
        }
        self.stop.store(true, Ordering::Relaxed);
        self.wake.notify_all();
    }

    fn error(&self, what: String) {
        self.error_count.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut e) = self.errors.lock()
            && e.len() < MAX_ERRORS_KEPT
        {
            e.push(what);
        }
    }

    fn should_stop(&self) -> bool {
        if self.stop.load(Ordering::Relaxed) {
            return true;
        }
        if self.opts.cancel.load(Ordering::Relaxed) {
            self.halt(Stopped::Cancelled);
            return true;
        }
        if Instant::now() >= self.opts.deadline {
            self.halt(Stopped::Deadline);
            return true;
        }
        false
    }

    fn next_job(&self) -> Option<Job> {
        let mut q = self.queue.lock().ok()?;
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return None;
            }
            let job = match self.opts.order {
                Order::BreadthFirst => q.jobs.pop_front(),
                Order::Sorted | Order::Parallel => q.jobs.pop_back(),
            };
            if let Some(job) = job {
                q.active += 1;
                return Some(job);
            }
            if q.active == 0 {
                self.wake.notify_all();
                return None;
            }
            q = self.wake.wait(q).ok()?;
        }
    }

    fn finish_job(&self, children: Vec<Job>) {
        if let Ok(mut q) = self.queue.lock() {
            match self.opts.order {
                // Pushed in reverse so the stack pops them in sorted order.
                Order::Sorted => q.jobs.extend(children.into_iter().rev()),
                Order::BreadthFirst | Order::Parallel => q.jobs.extend(children),
            }
            q.active -= 1;
        }
        self.wake.notify_all();
    }
}

/// Walk the directory `start` (root-relative) of `root`, calling a visitor for every entry
/// that passes the filters. `make` builds one visitor per worker thread.
pub(crate) fn walk<F, V>(root: &Root, start: &Path, opts: &WalkOptions, make: F) -> WalkReport
where
    F: Fn() -> V + Sync,
    V: FnMut(&Entry<'_>) -> Visit,
{
    let shared = Shared {
        root,
        opts,
        queue: Mutex::new(Queue {
            jobs: VecDeque::new(),
            active: 0,
        }),
        wake: Condvar::new(),
        stop: AtomicBool::new(false),
        stopped: Mutex::new(None),
        error_count: AtomicU64::new(0),
        errors: Mutex::new(Vec::new()),
    };
    let ignore = if opts.ignore_files {
        ancestor_rules(&shared, start)
    } else {
        None
    };
    if let Ok(mut q) = shared.queue.lock() {
        q.jobs.push_back(Job {
            rel: start.to_path_buf(),
            depth: 0,
            ignore,
        });
    }
    let threads = match opts.order {
        Order::Parallel => opts.threads.max(1),
        Order::Sorted | Order::BreadthFirst => 1,
    };
    if threads == 1 {
        worker(&shared, make());
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                let shared = &shared;
                let make = &make;
                s.spawn(move || worker(shared, make()));
            }
        });
    }
    WalkReport {
        stopped: shared.stopped.lock().ok().and_then(|s| *s),
        error_count: shared.error_count.load(Ordering::Relaxed),
        errors: shared.errors.lock().map(|e| e.clone()).unwrap_or_default(),
    }
}

fn worker<V>(shared: &Shared<'_>, mut visit: V)
where
    V: FnMut(&Entry<'_>) -> Visit,
{
    while let Some(job) = shared.next_job() {
        let children = read_one(shared, &job, &mut visit);
        shared.finish_job(children);
    }
}

/// Read one directory: filter its entries, visit them, return the subdirectories to read.
fn read_one<V>(shared: &Shared<'_>, job: &Job, visit: &mut V) -> Vec<Job>
where
    V: FnMut(&Entry<'_>) -> Visit,
{
    let opts = shared.opts;
    if shared.should_stop() {
        return Vec::new();
    }
    // A directory (or one of its entries) that cannot be read is noted, and the walk goes on.
    let unreadable = |e: &std::io::Error| {
        shared.error(format!(
            "{}: {}",
            show(shared.root, &job.rel),
            crate::error::describe(e)
        ));
    };
    let dir = match open_dir(shared.root, &job.rel) {
        Ok(d) => d,
        Err(e) => {
            unreadable(&e);
            return Vec::new();
        }
    };
    let mut names: Vec<(OsString, Kind)> = Vec::new();
    match dir.entries() {
        Ok(entries) => {
            for entry in entries {
                match entry {
                    Ok(entry) => {
                        let kind = match entry.file_type() {
                            Ok(t) if t.is_dir() => Kind::Directory,
                            Ok(t) if t.is_file() => Kind::File,
                            Ok(t) if t.is_symlink() => Kind::Symlink,
                            Ok(_) => Kind::Other,
                            Err(_) => continue,
                        };
                        names.push((entry.file_name(), kind));
                    }
                    Err(e) => unreadable(&e),
                }
            }
        }
        Err(e) => {
            unreadable(&e);
            return Vec::new();
        }
    }
    if opts.order != Order::Parallel {
        names.sort_by(|a, b| a.0.as_encoded_bytes().cmp(b.0.as_encoded_bytes()));
    }
    let ignore = if opts.ignore_files {
        level_for(shared, &dir, &job.rel, &names, job.ignore.clone())
    } else {
        None
    };
    let depth = job.depth + 1;
    let mut children = Vec::new();
    // Files first, then directories: a sorted listing reads naturally and a capped grep sees
    // the shallow files before the deep ones.
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by_key(|&i| names[i].1 == Kind::Directory);
    for i in order {
        if shared.should_stop() {
            break;
        }
        let (name, kind) = &names[i];
        let hidden = name.as_encoded_bytes().first() == Some(&b'.');
        if hidden && !opts.hidden {
            continue;
        }
        if opts.ignore_files && *kind == Kind::Directory && name == ".git" {
            continue;
        }
        let rel = job.rel.join(name);
        if ignore.is_some()
            && is_ignored(
                ignore.as_ref(),
                &shared.root.path.join(&rel),
                *kind == Kind::Directory,
            )
        {
            continue;
        }
        let entry = Entry {
            rel: &rel,
            name,
            kind: *kind,
            dir: &dir,
        };
        match visit(&entry) {
            Visit::Stop => {
                shared.halt(Stopped::Limit);
                break;
            }
            Visit::Skip => {}
            Visit::Continue => {
                if *kind == Kind::Directory && opts.max_depth.is_none_or(|m| depth < m) {
                    children.push(Job {
                        rel,
                        depth,
                        ignore: ignore.clone(),
                    });
                }
            }
        }
    }
    children
}

fn open_dir(root: &Root, rel: &Path) -> std::io::Result<Dir> {
    if rel.as_os_str().is_empty() {
        root.dir().try_clone()
    } else {
        // Beneath the root, and the last component must not be a symlink.
        root.dir().open_dir_nofollow(rel)
    }
}

fn show(root: &Root, rel: &Path) -> String {
    root.path.join(rel).display().to_string()
}

/// The ignore rules of `dir` (if it has ignore files) on top of `parent`.
fn level_for(
    shared: &Shared<'_>,
    dir: &Dir,
    rel: &Path,
    names: &[(OsString, Kind)],
    parent: Option<Arc<IgnoreLevel>>,
) -> Option<Arc<IgnoreLevel>> {
    let has = |n: &str, k: Kind| names.iter().any(|(name, kind)| name == n && *kind == k);
    let files: Vec<&str> = [
        (".git/info/exclude", has(".git", Kind::Directory)),
        (".gitignore", has(".gitignore", Kind::File)),
        (".ignore", has(".ignore", Kind::File)),
    ]
    .into_iter()
    .filter_map(|(f, present)| present.then_some(f))
    .collect();
    if files.is_empty() {
        return parent;
    }
    let abs = shared.root.path.join(rel);
    let mut builder = GitignoreBuilder::new(&abs);
    for file in files {
        let Some(text) = read_small(dir, Path::new(file)) else {
            continue;
        };
        let from = abs.join(file);
        for line in text.lines() {
            // A line that is not a valid glob is skipped, as git does.
            let _ = builder.add_line(Some(from.clone()), line);
        }
    }
    match builder.build() {
        Ok(matcher) if !matcher.is_empty() => Some(Arc::new(IgnoreLevel { matcher, parent })),
        Ok(_) => parent,
        Err(e) => {
            shared.error(format!("{}: ignore rules: {e}", abs.display()));
            parent
        }
    }
}

/// Rules from the directories between the root and `start` (exclusive), so a walk starting in
/// a subdirectory honours the `.gitignore` files above it, up to the root but never beyond.
fn ancestor_rules(shared: &Shared<'_>, start: &Path) -> Option<Arc<IgnoreLevel>> {
    let mut level = None;
    let mut rel = PathBuf::new();
    let parts: Vec<_> = start.components().collect();
    for part in parts {
        let Ok(dir) = open_dir(shared.root, &rel) else {
            return level;
        };
        let names: Vec<(OsString, Kind)> = [".gitignore", ".ignore", ".git"]
            .into_iter()
            .filter_map(|n| {
                let md = dir.symlink_metadata(n).ok()?;
                Some((OsString::from(n), Kind::of(&md)))
            })
            .collect();
        level = level_for(shared, &dir, &rel, &names, level);
        rel.push(part);
    }
    level
}

/// A small text file read through `dir` without following a symlink.
fn read_small(dir: &Dir, path: &Path) -> Option<String> {
    let file = dir.open_with(path, &read_options()).ok()?;
    let md = file.metadata().ok()?;
    if !md.is_file() || md.len() > MAX_IGNORE_FILE_BYTES {
        return None;
    }
    let mut text = String::new();
    file.into_std()
        .take(MAX_IGNORE_FILE_BYTES)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::Duration;

    use super::*;

    fn opts(order: Order) -> WalkOptions {
        WalkOptions {
            hidden: false,
            ignore_files: true,
            max_depth: None,
            order,
            threads: 3,
            deadline: Instant::now() + Duration::from_secs(30),
            cancel: Arc::new(AtomicBool::new(false)),
        }
    }

    fn collect(root: &Root, start: &str, o: &WalkOptions) -> Vec<String> {
        let found = Mutex::new(Vec::new());
        walk(root, Path::new(start), o, || {
            |e: &Entry<'_>| {
                found.lock().unwrap().push(e.rel.display().to_string());
                Visit::Continue
            }
        });
        let mut v = found.into_inner().unwrap();
        v.sort();
        v
    }

    fn tree() -> (tempfile::TempDir, Root) {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path();
        for d in ["src/deep", "target/debug", ".git/info", "sub/build", "node"] {
            std::fs::create_dir_all(p.join(d)).unwrap();
        }
        for f in [
            "a.txt",
            "src/lib.rs",
            "src/deep/x.rs",
            "target/debug/out",
            ".hidden",
            "sub/keep.log",
            "sub/drop.log",
            "sub/build/b",
            "node/n.js",
        ] {
            std::fs::write(p.join(f), "x").unwrap();
        }
        std::fs::write(p.join(".gitignore"), "target/\n*.log\n!keep.log\n").unwrap();
        std::fs::write(p.join("sub/.ignore"), "build\n").unwrap();
        std::fs::write(p.join(".git/info/exclude"), "node\n").unwrap();
        std::os::unix::fs::symlink("/etc", p.join("etc_link")).unwrap();
        let root = Root::open(p).unwrap();
        (tmp, root)
    }

    #[test]
    fn ignore_files_hidden_names_and_symlinks_are_honoured() {
        let (_tmp, root) = tree();
        let found = collect(&root, "", &opts(Order::Parallel));
        assert_eq!(
            found,
            [
                "a.txt",
                "etc_link",
                "src",
                "src/deep",
                "src/deep/x.rs",
                "src/lib.rs",
                "sub",
                "sub/keep.log"
            ]
        );
        let mut all = opts(Order::Sorted);
        all.ignore_files = false;
        all.hidden = true;
        let found = collect(&root, "", &all);
        assert!(found.contains(&"target/debug/out".to_owned()));
        assert!(found.contains(&".git/info/exclude".to_owned()));
        // The symlink to /etc is listed, never entered.
        assert!(!found.iter().any(|f| f.starts_with("etc_link/")));
    }

    #[test]
    fn a_walk_from_a_subdirectory_honours_the_rules_above_it() {
        let (_tmp, root) = tree();
        let found = collect(&root, "sub", &opts(Order::Sorted));
        assert_eq!(found, ["sub/keep.log"]);
    }

    #[test]
    fn sorted_and_breadth_first_orders_are_deterministic() {
        let (_tmp, root) = tree();
        let seen = Mutex::new(Vec::new());
        walk(&root, Path::new(""), &opts(Order::BreadthFirst), || {
            |e: &Entry<'_>| {
                seen.lock()
                    .unwrap()
                    .push((e.rel.components().count(), e.rel.display().to_string()));
                Visit::Continue
            }
        });
        let seen = seen.into_inner().unwrap();
        let depths: Vec<usize> = seen.iter().map(|s| s.0).collect();
        let mut sorted = depths.clone();
        sorted.sort();
        assert_eq!(
            depths, sorted,
            "breadth first visits level by level: {seen:?}"
        );
    }

    #[test]
    fn caps_deadlines_and_cancellation_stop_the_walk() {
        let (_tmp, root) = tree();
        let n = AtomicU64::new(0);
        let r = walk(&root, Path::new(""), &opts(Order::Sorted), || {
            |_: &Entry<'_>| {
                if n.fetch_add(1, Ordering::Relaxed) == 1 {
                    Visit::Stop
                } else {
                    Visit::Continue
                }
            }
        });
        assert_eq!(r.stopped, Some(Stopped::Limit));
        let mut late = opts(Order::Parallel);
        late.deadline = Instant::now();
        assert_eq!(
            walk(&root, Path::new(""), &late, || |_: &Entry<'_>| {
                Visit::Continue
            })
            .stopped,
            Some(Stopped::Deadline)
        );
        let cancelled = opts(Order::Parallel);
        cancelled.cancel.store(true, Ordering::Relaxed);
        assert_eq!(
            walk(&root, Path::new(""), &cancelled, || |_: &Entry<'_>| {
                Visit::Continue
            })
            .stopped,
            Some(Stopped::Cancelled)
        );
    }

    #[test]
    fn max_depth_limits_the_descent() {
        let (_tmp, root) = tree();
        let mut o = opts(Order::Sorted);
        o.max_depth = Some(1);
        let found = collect(&root, "", &o);
        assert!(found.iter().all(|f| !f.contains('/')), "{found:?}");
    }
}
