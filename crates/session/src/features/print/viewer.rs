//! The viewer half: `session.print().start()` has the host offer the
//! printer and gives the jobs printed to it, each a PDF; [`save`] puts one
//! in a folder under a name of its own (atomically, never over a file).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use latchkey_core::feature::print::{self, FromHost, FromViewer, HostMessage, MAX_JOB};

use crate::transport::peer::Control;
use crate::viewer::link::{FeatureLink, SessionError};
use crate::Error;

/// Remote print (the host refuses without `print`).
#[derive(Clone)]
pub struct Print {
    link: FeatureLink,
    next_id: Arc<AtomicU64>,
}

/// A job printed on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintJob {
    /// Its number in this session.
    pub number: u64,
    /// Its title, as the printing program gave it.
    pub title: String,
    /// Its PDF.
    pub pdf: Vec<u8>,
}

/// What the host's printer does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrintEvent {
    /// A job arrived.
    Job(PrintJob),
    /// The printer is gone (the permission was withdrawn), and why.
    Stopped(String),
}

/// The printer the host offers, and its jobs.
pub struct PrintJobs {
    /// The CUPS queue's name on the host.
    pub queue: String,
    /// What the host's print dialogs show.
    pub description: String,
    channel: Control,
}

impl Print {
    pub(crate) fn new(link: FeatureLink) -> Self {
        Print {
            link,
            next_id: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Have the host offer its printer for this session; its jobs follow.
    /// (Take them from one [`PrintJobs`] at a time: they share a channel.)
    pub async fn start(&self) -> Result<PrintJobs, SessionError> {
        let _turn = self.link.turn().await;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        self.link.send(&FromViewer::Start { id }).await?;
        loop {
            let message = self
                .link
                .recv_with(|b| {
                    print::decode_from_host(b).map(|m| match m {
                        HostMessage::Message(m) => Some(m),
                        HostMessage::Data { .. } => None,
                    })
                })
                .await?;
            match message {
                Some(FromHost::Started {
                    id: got,
                    queue,
                    description,
                }) if got == id => {
                    let channel = self.link.channel().await?.clone();
                    return Ok(PrintJobs {
                        queue,
                        description,
                        channel,
                    });
                }
                Some(FromHost::Refused {
                    id: got,
                    what,
                    permission,
                }) if got == id => return Err(SessionError::Refused { what, permission }),
                Some(FromHost::Failed {
                    id: got, message, ..
                }) if got == id => {
                    return Err(SessionError::HostFailed {
                        what: "offer a printer".into(),
                        reason: message,
                    })
                }
                // An earlier printer's jobs (a start again after a stop).
                _ => {}
            }
        }
    }
}

impl PrintJobs {
    /// The next job (or the printer's end); an error once the session ended.
    pub async fn next(&self) -> Result<PrintEvent, Error> {
        let mut current: Option<(PrintJob, u64)> = None;
        loop {
            let bytes = self.channel.recv().await?;
            let message = print::decode_from_host(&bytes)
                .map_err(|_| Error::Protocol("malformed message from the host".into()))?;
            match message {
                HostMessage::Message(FromHost::Job { job, title, size }) => {
                    if size > MAX_JOB {
                        return Err(Error::Protocol("a print job over the limit".into()));
                    }
                    current = Some((
                        PrintJob {
                            number: job,
                            title,
                            pdf: Vec::new(),
                        },
                        size,
                    ));
                }
                HostMessage::Message(FromHost::Stopped { reason }) => {
                    return Ok(PrintEvent::Stopped(reason))
                }
                HostMessage::Message(_) => {}
                HostMessage::Data { job, bytes } => {
                    let Some((pending, size)) = current.as_mut() else {
                        continue;
                    };
                    if pending.number != job {
                        continue;
                    }
                    if (pending.pdf.len() + bytes.len()) as u64 > *size {
                        return Err(Error::Protocol("a print job longer than announced".into()));
                    }
                    pending.pdf.extend_from_slice(bytes);
                }
            }
            if current
                .as_ref()
                .is_some_and(|(job, size)| job.pdf.len() as u64 == *size)
            {
                if let Some((job, _)) = current.take() {
                    return Ok(PrintEvent::Job(job));
                }
            }
        }
    }
}

/// Save `job` in `dir` under the name its title gives (`report.pdf`, then
/// `report (2).pdf` ... when taken): written to a temporary file, synced,
/// then linked in under a free name, so no file is ever overwritten and no
/// half-written one appears. Its path.
pub fn save(dir: &Path, job: &PrintJob) -> std::io::Result<PathBuf> {
    let name = print::file_name(&job.title);
    let (stem, ext) = name.rsplit_once('.').unwrap_or((&name, "pdf"));
    let mut suffix = [0u8; 6];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut suffix);
    let tmp = dir.join(format!(".latchkey-print-{}.tmp", hex::encode(suffix)));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(&job.pdf)?;
        file.sync_all()?;
        for n in 1..=1000u32 {
            let target = if n == 1 {
                dir.join(&name)
            } else {
                dir.join(format!("{stem} ({n}).{ext}"))
            };
            match std::fs::hard_link(&tmp, &target) {
                Ok(()) => {
                    if let Ok(d) = std::fs::File::open(dir) {
                        let _ = d.sync_all();
                    }
                    return Ok(target);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("too many files named like {name}"),
        ))
    })();
    let _ = std::fs::remove_file(&tmp);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saving_never_overwrites_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("test");
        let job = |pdf: &[u8]| PrintJob {
            number: 1,
            title: "notes.txt".into(),
            pdf: pdf.to_vec(),
        };
        let a = save(dir.path(), &job(b"one")).expect("test");
        let b = save(dir.path(), &job(b"two")).expect("test");
        assert_eq!(a, dir.path().join("notes.pdf"));
        assert_eq!(b, dir.path().join("notes (2).pdf"));
        assert_eq!(std::fs::read(&a).expect("test"), b"one");
        assert_eq!(std::fs::read(&b).expect("test"), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).expect("test").count(), 2);
    }
}
