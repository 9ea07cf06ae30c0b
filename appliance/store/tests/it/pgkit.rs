//! A throwaway PostgreSQL server for the store's tests: Debian's `postgresql` binaries run
//! as the `postgres` user (they refuse root) on a temporary directory and a free loopback
//! port, shared by the tests running at once and stopped when the last of them ends. Each
//! test gets a fresh database.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

pub struct Server {
    port: u16,
    child: Child,
    data: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        // The child is `runuser`; the server under it stops through its own tool (at once:
        // a throwaway needs no checkpoint), then `runuser` ends.
        let _ = as_postgres(bin_dir().join("pg_ctl"))
            .args(["stop", "-m", "immediate", "-D"])
            .arg(&self.data)
            .stdout(Stdio::null())
            .status();
        let _ = self.child.wait();
    }
}

static SHARED: Mutex<Weak<Server>> = Mutex::new(Weak::new());
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

/// The newest installed PostgreSQL's programs (e.g. /usr/lib/postgresql/15/bin).
fn bin_dir() -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed (Debian's postgresql package)")
        .map(|e| e.unwrap().path().join("bin"))
        .filter(|p| p.join("initdb").exists())
        .collect();
    dirs.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok())
    });
    dirs.pop().expect("a PostgreSQL with initdb")
}

fn as_postgres(program: PathBuf) -> Command {
    let mut c = Command::new("runuser");
    c.args(["-u", "postgres", "--"]).arg(program);
    c
}

fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("chown")
        .arg("postgres:postgres")
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success(), "chown of the test cluster's directory");
    let data = dir.path().join("data");
    let bin = bin_dir();
    let out = as_postgres(bin.join("initdb"))
        .args(["-U", "vappoint", "--auth=trust", "-E", "UTF8", "-D"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "initdb: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = as_postgres(bin.join("postgres"))
        .arg("-D")
        .arg(&data)
        .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=on"])
        .args(["-c", &format!("port={port}")])
        .arg("-c")
        .arg(format!("unix_socket_directories={}", dir.path().display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server {
        port,
        child,
        data,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while postgres::Client::connect(&server.url("postgres"), postgres::NoTls).is_err() {
        assert!(Instant::now() < deadline, "PostgreSQL did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

impl Server {
    pub fn url(&self, db: &str) -> String {
        format!("postgres://vappoint@127.0.0.1:{}/{db}", self.port)
    }
}

/// A fresh, empty database on the shared server: its URL, and the server kept running
/// while the caller holds it.
pub fn database() -> (Arc<Server>, String) {
    let server = {
        let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
        match shared.upgrade() {
            Some(s) => s,
            None => {
                let s = Arc::new(start());
                *shared = Arc::downgrade(&s);
                s
            }
        }
    };
    let name = format!("t{}", NEXT_DB.fetch_add(1, Ordering::Relaxed));
    let mut admin = postgres::Client::connect(&server.url("postgres"), postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let url = server.url(&name);
    (server, url)
}
