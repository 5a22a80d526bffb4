//! The host's printers, one per session that started `print`: the CUPS
//! queues it added (through `lpadmin`, on the CUPS server that `CUPS_SERVER`
//! names, else the system's), the print socket the Latchkey backend hands
//! each job's PDF to, and the record of queues added, so that the next start
//! removes what a crash left behind.
//!
//! The backend (`latchkey-print-backend`, installed as CUPS's `latchkey`
//! backend, mode 0700: cupsd runs it as root) connects to the socket named
//! in the queue's device URI, sends one [`JobHeader`] line, then the PDF, and
//! reads one line back: `ok`, or `error: why`. Only root (cupsd's backend)
//! and the host's own user may hand in a job (`SO_PEERCRED`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot, Semaphore};

use latchkey_core::feature::print::{self, JobHeader, MAX_HEADER};

/// The record of queues added and not yet removed.
const RECORD: &str = "print-queues.json";
/// The queue's PPD, written beside the record for `lpadmin -P`.
const PPD_FILE: &str = "latchkey-print.ppd";
/// Jobs handed in at once.
const MAX_JOBS: usize = 4;
/// How long a backend has to hand in a job, and the viewer to take it.
const JOB_TIME: Duration = Duration::from_secs(600);
/// How long `lpadmin` may take.
const LPADMIN_TIME: Duration = Duration::from_secs(30);

/// A PPD whose printer takes PDF: CUPS's filters turn whatever is printed
/// (text, PostScript, images, PDF) into PDF (`pdftopdf` last), and the
/// backend gets that PDF.
pub const PPD: &str = r#"*PPD-Adobe: "4.3"
*FormatVersion: "4.3"
*FileVersion: "1.0"
*LanguageVersion: English
*LanguageEncoding: ISOLatin1
*PCFileName: "LATCHKEY.PPD"
*Manufacturer: "Latchkey"
*Product: "(Latchkey)"
*ModelName: "Latchkey remote print"
*ShortNickName: "Latchkey remote print"
*NickName: "Latchkey remote print (PDF to the viewer)"
*PSVersion: "(3010.000) 0"
*LanguageLevel: "3"
*ColorDevice: True
*DefaultColorSpace: RGB
*FileSystem: False
*Throughput: "1"
*LandscapeOrientation: Plus90
*TTRasterizer: Type42
*cupsVersion: 2.4
*cupsFilter2: "application/vnd.cups-pdf application/pdf 0 -"
*OpenUI *PageSize/Media Size: PickOne
*OrderDependency: 10 AnySetup *PageSize
*DefaultPageSize: A4
*PageSize A4/A4: "<</PageSize[595 842]/ImagingBBox null>>setpagedevice"
*PageSize Letter/US Letter: "<</PageSize[612 792]/ImagingBBox null>>setpagedevice"
*CloseUI: *PageSize
*OpenUI *PageRegion: PickOne
*OrderDependency: 10 AnySetup *PageRegion
*DefaultPageRegion: A4
*PageRegion A4/A4: "<</PageSize[595 842]/ImagingBBox null>>setpagedevice"
*PageRegion Letter/US Letter: "<</PageSize[612 792]/ImagingBBox null>>setpagedevice"
*CloseUI: *PageRegion
*DefaultImageableArea: A4
*ImageableArea A4/A4: "0 0 595 842"
*ImageableArea Letter/US Letter: "0 0 612 792"
*DefaultPaperDimension: A4
*PaperDimension A4/A4: "595 842"
*PaperDimension Letter/US Letter: "612 792"
"#;

/// Why a printer could not be offered.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// No `lpadmin`: CUPS is not installed.
    #[error("CUPS is not installed on the host (no lpadmin)")]
    NoCups,
    /// `lpadmin` refused, or cupsd is not running.
    #[error("CUPS refused the printer: {0}")]
    Cups(String),
    /// The print socket could not be made.
    #[error("the host has no print socket: {0}")]
    NoSocket(String),
    /// Too many printers with this name.
    #[error("too many printers for this viewer")]
    TooMany,
}

/// A job on its way to a session's viewer; `done` says whether it got there.
pub(crate) struct Job {
    /// Its title.
    pub title: String,
    /// Its PDF.
    pub pdf: Vec<u8>,
    /// Ok once sent to the viewer; else why not (the backend's answer).
    pub done: oneshot::Sender<Result<(), String>>,
}

/// The host's printers (cheap to clone).
#[derive(Clone)]
pub struct Printers(Arc<Inner>);

struct Inner {
    config_dir: PathBuf,
    socket: Result<PathBuf, String>,
    queues: Mutex<HashMap<String, mpsc::Sender<Job>>>,
    /// One `lpadmin` and record write at a time.
    admin: tokio::sync::Mutex<()>,
    listener: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// Where the print socket is: beside the control socket.
pub fn socket_path(config_dir: &Path) -> PathBuf {
    crate::host::control_socket::socket_path(config_dir).with_file_name("print.sock")
}

/// A queue's device URI: `latchkey:` and the socket's path, percent-escaped
/// as a `file:` URI's is.
pub fn device_uri(socket: &Path) -> String {
    let file = print_uri_path(socket);
    format!("latchkey:{file}")
}

fn print_uri_path(socket: &Path) -> String {
    let uri = latchkey_core::feature::clipboard_files::file_uri(&socket.to_string_lossy());
    uri.trim_start_matches("file:").to_string()
}

impl Printers {
    /// Remove the queues a crashed run left (from the record), then serve
    /// the print socket.
    pub async fn start(config_dir: &Path) -> Printers {
        let path = socket_path(config_dir);
        let socket = bind(&path).map(|l| (l, path.clone()));
        let printers = Printers(Arc::new(Inner {
            config_dir: config_dir.to_path_buf(),
            socket: socket
                .as_ref()
                .map(|(_, p)| p.clone())
                .map_err(Clone::clone),
            queues: Mutex::new(HashMap::new()),
            admin: tokio::sync::Mutex::new(()),
            listener: Mutex::new(None),
        }));
        printers.remove_leftovers().await;
        match socket {
            Ok((listener, _)) => {
                let task = tokio::spawn(serve(listener, printers.clone()));
                *lock(&printers.0.listener) = Some(task);
            }
            Err(e) => tracing::warn!(error = %e, "no print socket: remote print is off"),
        }
        printers
    }

    /// Offer a printer for a viewer called `viewer_name`: its queue, its
    /// description, and where its jobs arrive.
    pub(crate) async fn add(
        &self,
        viewer_name: &str,
    ) -> Result<(String, String, mpsc::Receiver<Job>), PrintError> {
        let socket = self.0.socket.clone().map_err(PrintError::NoSocket)?;
        let _admin = self.0.admin.lock().await;
        let base = print::queue_name(viewer_name);
        let description = print::description(viewer_name);
        let (tx, rx) = mpsc::channel(2);
        let queue = {
            let mut queues = lock(&self.0.queues);
            let queue = (1..=9)
                .map(|n| {
                    if n == 1 {
                        base.clone()
                    } else {
                        format!("{base}-{n}")
                    }
                })
                .find(|q| !queues.contains_key(q))
                .ok_or(PrintError::TooMany)?;
            queues.insert(queue.clone(), tx);
            queue
        };
        // Recorded before it exists, so a crash in between still removes it.
        self.write_record();
        let ppd = self.0.config_dir.join(PPD_FILE);
        let added = match latchkey_store::atomic::write_atomic(&ppd, PPD.as_bytes(), 0o644) {
            Ok(()) => {
                lpadmin(&[
                    "-p",
                    &queue,
                    "-E",
                    "-v",
                    &device_uri(&socket),
                    "-P",
                    &ppd.to_string_lossy(),
                    "-D",
                    &description,
                    "-L",
                    "Latchkey session",
                    "-o",
                    "printer-error-policy=abort-job",
                    "-o",
                    "printer-is-shared=false",
                ])
                .await
            }
            Err(e) => Err(PrintError::Cups(format!("cannot write its PPD: {e}"))),
        };
        if let Err(e) = added {
            lock(&self.0.queues).remove(&queue);
            self.write_record();
            return Err(e);
        }
        tracing::info!(%queue, "offering a printer for the session");
        Ok((queue, description, rx))
    }

    /// Remove a queue this host added (its jobs then have nowhere to go).
    /// The removal runs in a task of its own: a caller that is cancelled
    /// (a session's tasks stopping) does not cut it short.
    pub async fn remove(&self, queue: &str) {
        let (printers, queue) = (self.clone(), queue.to_string());
        let removal = tokio::spawn(async move {
            let _admin = printers.0.admin.lock().await;
            if lock(&printers.0.queues).remove(&queue).is_none() {
                return;
            }
            if let Err(e) = lpadmin(&["-x", &queue]).await {
                tracing::warn!(%queue, error = %e, "cannot remove a printer");
            } else {
                tracing::info!(%queue, "removed the session's printer");
            }
            printers.write_record();
        });
        let _ = removal.await;
    }

    /// Remove every queue and stop serving the socket (the host stops).
    pub async fn stop(&self) {
        let queues: Vec<String> = lock(&self.0.queues).keys().cloned().collect();
        for q in queues {
            self.remove(&q).await;
        }
        if let Some(task) = lock(&self.0.listener).take() {
            task.abort();
        }
        if let Ok(path) = &self.0.socket {
            let _ = std::fs::remove_file(path);
        }
    }

    /// The queues of the record that a run before this one left.
    async fn remove_leftovers(&self) {
        let path = self.0.config_dir.join(RECORD);
        let Ok(bytes) = std::fs::read(&path) else {
            return;
        };
        let names: Vec<String> = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            tracing::warn!("the record of printers is damaged; starting with none");
            Vec::new()
        });
        let _admin = self.0.admin.lock().await;
        for name in names.iter().filter(|n| print::is_our_queue(n)) {
            match lpadmin(&["-x", name]).await {
                Ok(()) => tracing::info!(queue = %name, "removed a printer a previous run left"),
                Err(e) => tracing::debug!(queue = %name, error = %e, "a leftover printer"),
            }
        }
        self.write_record();
    }

    /// Write the record of queues (atomically; a failure is logged).
    fn write_record(&self) {
        let mut names: Vec<String> = lock(&self.0.queues).keys().cloned().collect();
        names.sort();
        let bytes = serde_json::to_vec(&names).unwrap_or_default();
        let path = self.0.config_dir.join(RECORD);
        if let Err(e) = latchkey_store::atomic::write_atomic(&path, &bytes, 0o600) {
            tracing::error!(error = %e, "cannot write the record of printers");
        }
    }

    /// Where jobs for `queue` go.
    fn sender(&self, queue: &str) -> Option<mpsc::Sender<Job>> {
        lock(&self.0.queues).get(queue).cloned()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // No await while locked; a poisoned map is still the map.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Run `lpadmin` with `args`.
async fn lpadmin(args: &[&str]) -> Result<(), PrintError> {
    let run = tokio::process::Command::new("lpadmin")
        .args(args)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = match tokio::time::timeout(LPADMIN_TIME, run).await {
        Err(_) => return Err(PrintError::Cups("lpadmin did not answer".into())),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => return Err(PrintError::NoCups),
        Ok(Err(e)) => return Err(PrintError::Cups(e.to_string())),
        Ok(Ok(out)) => out,
    };
    if out.status.success() {
        Ok(())
    } else {
        let text = String::from_utf8_lossy(&out.stderr);
        let why = text
            .lines()
            .filter(|l| !l.contains("deprecated"))
            .collect::<Vec<_>>()
            .join(" ");
        Err(PrintError::Cups(why.trim().to_string()))
    }
}

/// Listen on `path` (a stale socket of a dead host is replaced), mode 0600.
fn bind(path: &Path) -> Result<UnixListener, String> {
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path)
        .map_err(|e| format!("cannot listen on {}: {e}", path.display()))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("cannot protect {}: {e}", path.display()))?;
    Ok(listener)
}

/// Take jobs from the backend until the task is dropped.
async fn serve(listener: UnixListener, printers: Printers) {
    let own = crate::host::control_socket::auth::effective_uid();
    let limit = Arc::new(Semaphore::new(MAX_JOBS));
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(e) => {
                tracing::warn!(error = %e, "print socket accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let uid = stream.peer_cred().map(|c| c.uid()).ok();
        if uid != Some(0) && uid != own {
            tracing::warn!(?uid, "refused a print job from another user");
            continue;
        }
        let Ok(permit) = limit.clone().try_acquire_owned() else {
            continue;
        };
        let printers = printers.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let mut stream = stream;
            let answer =
                match tokio::time::timeout(JOB_TIME, take_job(&mut stream, &printers)).await {
                    Ok(Ok(())) => "ok\n".to_string(),
                    Ok(Err(why)) => format!("error: {why}\n"),
                    Err(_) => "error: timed out\n".to_string(),
                };
            let _ = stream.write_all(answer.as_bytes()).await;
            let _ = stream.shutdown().await;
        });
    }
}

/// Read one job off `stream` and hand it to its session.
async fn take_job(stream: &mut UnixStream, printers: &Printers) -> Result<(), String> {
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    (&mut reader)
        .take(MAX_HEADER as u64 + 1)
        .read_until(b'\n', &mut line)
        .await
        .map_err(|e| e.to_string())?;
    let header = JobHeader::parse(&line).map_err(|e| e.to_string())?;
    let sender = printers
        .sender(&header.queue)
        .ok_or_else(|| format!("no session prints to {}", header.queue))?;
    let size = usize::try_from(header.size).map_err(|_| "the job is too large".to_string())?;
    let mut pdf = vec![0; size];
    reader
        .read_exact(&mut pdf)
        .await
        .map_err(|e| format!("the job was cut short: {e}"))?;
    let (done, result) = oneshot::channel();
    sender
        .send(Job {
            title: header.title,
            pdf,
            done,
        })
        .await
        .map_err(|_| "the viewer has left".to_string())?;
    result
        .await
        .map_err(|_| "the viewer has left".to_string())?
}
