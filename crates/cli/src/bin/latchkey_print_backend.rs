//! `latchkey-print-backend`: the CUPS backend behind the printers a
//! Latchkey host offers its sessions (installed as
//! `/usr/lib/cups/backend/latchkey`, mode 0700, so that cupsd runs it as
//! root). cupsd runs it once per job with the job's PDF (made by CUPS's
//! filters) on standard input or in the file named last; it hands the PDF
//! to the host over the print socket that the queue's device URI names
//! (`latchkey:///path/print.sock`) and reports what the host answered.
//! Run without arguments it names its scheme, as backends do.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use latchkey_core::feature::clipboard_files::path_of_uri;
use latchkey_core::feature::print::{JobHeader, MAX_JOB};

/// CUPS's backend exit codes.
const CUPS_BACKEND_OK: i32 = 0;
const CUPS_BACKEND_FAILED: i32 = 1;
const CUPS_BACKEND_CANCEL: i32 = 5;

/// How long the host (and its viewer) may take to take the job.
const ANSWER_TIME: Duration = Duration::from_secs(660);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 1 {
        println!(
            "direct latchkey \"Unknown\" \"Latchkey remote print (a host adds one per session)\""
        );
        return;
    }
    if args.len() < 6 || args.len() > 7 {
        eprintln!("Usage: latchkey job-id user title copies options [file]");
        std::process::exit(CUPS_BACKEND_FAILED);
    }
    let code = match run(&args) {
        Ok(()) => CUPS_BACKEND_OK,
        Err(Failure::Cancel(why)) => {
            eprintln!("ERROR: {why}");
            CUPS_BACKEND_CANCEL
        }
        Err(Failure::Retry(why)) => {
            eprintln!("ERROR: {why}");
            CUPS_BACKEND_FAILED
        }
    };
    std::process::exit(code);
}

enum Failure {
    /// The job cannot be delivered: cancel it.
    Cancel(String),
    /// Something that may pass (the host is restarting).
    Retry(String),
}

fn run(args: &[String]) -> Result<(), Failure> {
    let uri = std::env::var("DEVICE_URI").unwrap_or_else(|_| args[0].clone());
    let socket = uri
        .strip_prefix("latchkey:")
        .and_then(|rest| path_of_uri(&format!("file:{rest}")).ok())
        .ok_or_else(|| Failure::Cancel(format!("'{uri}' is not a Latchkey printer")))?;
    let queue = std::env::var("PRINTER")
        .map_err(|_| Failure::Cancel("no PRINTER in the environment".into()))?;
    let mut pdf = Vec::new();
    let read = match args.get(6) {
        Some(file) => {
            std::fs::File::open(file).and_then(|f| f.take(MAX_JOB + 1).read_to_end(&mut pdf))
        }
        None => std::io::stdin()
            .lock()
            .take(MAX_JOB + 1)
            .read_to_end(&mut pdf),
    };
    read.map_err(|e| Failure::Cancel(format!("cannot read the job: {e}")))?;
    if pdf.len() as u64 > MAX_JOB {
        return Err(Failure::Cancel(format!(
            "the job is over the {} MiB limit",
            MAX_JOB >> 20
        )));
    }
    let header = JobHeader {
        queue,
        title: args[3]
            .chars()
            .filter(|c| !c.is_control())
            .take(256)
            .collect(),
        size: pdf.len() as u64,
    };
    eprintln!("INFO: Sending the job to the viewer");
    let mut stream = UnixStream::connect(&socket)
        .map_err(|e| Failure::Retry(format!("the Latchkey host is not running ({e})")))?;
    let _ = stream.set_read_timeout(Some(ANSWER_TIME));
    stream
        .write_all(&header.encode())
        .and_then(|()| stream.write_all(&pdf))
        .and_then(|()| stream.flush())
        .map_err(|e| Failure::Retry(format!("the host stopped taking the job: {e}")))?;
    let mut answer = String::new();
    BufReader::new(&stream)
        .take(4096)
        .read_line(&mut answer)
        .map_err(|e| Failure::Retry(format!("no answer from the host: {e}")))?;
    match answer.trim_end() {
        "ok" => {
            eprintln!("INFO: The viewer has the job");
            Ok(())
        }
        other => Err(Failure::Cancel(
            other.strip_prefix("error: ").unwrap_or(other).to_string(),
        )),
    }
}
