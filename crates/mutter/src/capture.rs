//! Frames from the PipeWire node Mutter's screen cast stream feeds: a PipeWire
//! main loop on a thread of its own connects a video stream to the node,
//! negotiates a shared-memory BGRx/RGBx/BGRA/RGBA format (Mutter without a GPU
//! cannot share DMA-bufs), converts each buffer to tightly packed BGRA and
//! keeps the latest one in a slot the caller reads with bounded waits.
//!
//! Mutter sends a frame when the screen changes (and one when the stream
//! starts), so a still screen sends nothing: [`Capture::latest`] keeps the last
//! frame, [`Capture::next_frame`] waits for a newer one.
//!
//! The daemon is reached by socket ([`Capture::connect`]) or through a
//! connection already open ([`Capture::connect_fd`]: what xdg-desktop-portal's
//! `OpenPipeWireRemote` returns, used by the `latchkey-portal` crate).

use std::os::fd::OwnedFd;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pipewire as pw;
use pw::spa;
use spa::param::format::{FormatProperties, MediaSubtype, MediaType};
use spa::param::video::{VideoFormat, VideoInfoRaw};
use spa::param::ParamType;
use spa::pod::{Object, Pod, Property, PropertyFlags, Value};
use spa::utils::{Fraction, Rectangle, SpaTypes};

use crate::error::{Error, Result};

/// How long [`Capture::connect`] waits for the PipeWire thread to connect.
const SETUP_TIMEOUT: Duration = Duration::from_secs(10);

/// One captured frame: tightly packed BGRA (`stride == width * 4`), alpha 255.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Bytes per row (always `width * 4`).
    pub stride: usize,
    /// The pixels, row by row, 4 bytes (B, G, R, A) each.
    pub data: Vec<u8>,
    /// Counts frames from 1 in the order the stream delivered them.
    pub sequence: u64,
    /// The format the stream delivered, e.g. `BGRx`.
    pub source_format: &'static str,
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frame")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("sequence", &self.sequence)
            .field("source_format", &self.source_format)
            .finish_non_exhaustive()
    }
}

impl Frame {
    /// The BGRA pixel at (`x`, `y`), if inside the frame.
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 4]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = y as usize * self.stride + x as usize * 4;
        let p = self.data.get(i..i + 4)?;
        Some([p[0], p[1], p[2], p[3]])
    }
}

/// What the stream thread shares with the caller.
#[derive(Default)]
struct Slot {
    latest: Option<Arc<Frame>>,
    /// Set when the stream failed or ended: why.
    ended: Option<String>,
}

#[derive(Default)]
struct Shared {
    slot: Mutex<Slot>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Slot> {
        // A panic on the stream thread cannot leave the slot half-written (each
        // update is one assignment), so a poisoned lock is still usable.
        self.slot.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn end(&self, why: String) {
        let mut slot = self.lock();
        if slot.ended.is_none() {
            slot.ended = Some(why);
        }
        self.changed.notify_all();
    }
}

/// A video stream connected to one PipeWire node, delivering frames on a
/// thread of its own; stopped (and the thread joined) when dropped.
pub struct Capture {
    shared: Arc<Shared>,
    quit: Option<pw::channel::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    /// The sequence of the last frame [`Capture::next_frame`] returned.
    seen: u64,
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capture")
            .field("seen", &self.seen)
            .finish_non_exhaustive()
    }
}

impl Capture {
    /// Connects a video stream to PipeWire node `node_id` (the one
    /// [`crate::MutterSession::node_id`] names). `remote` is the PipeWire socket
    /// (`None`: `$PIPEWIRE_REMOTE`, else `pipewire-0` in `$XDG_RUNTIME_DIR`).
    /// Returns once the stream is connecting; frames follow.
    pub fn connect(node_id: u32, remote: Option<&Path>) -> Result<Self> {
        let remote = match remote {
            Some(p) => Remote::Named(p.to_string_lossy().into_owned()),
            None => Remote::Default,
        };
        Self::start(node_id, remote)
    }

    /// Connects a video stream to PipeWire node `node_id` through an already
    /// open connection to the PipeWire daemon: the descriptor
    /// xdg-desktop-portal's `OpenPipeWireRemote` hands out, which can see
    /// only the nodes the portal session shares. Returns once the stream is
    /// connecting; frames follow.
    pub fn connect_fd(node_id: u32, remote: OwnedFd) -> Result<Self> {
        Self::start(node_id, Remote::Fd(remote))
    }

    fn start(node_id: u32, remote: Remote) -> Result<Self> {
        let shared = Arc::new(Shared::default());
        let (quit_tx, quit_rx) = pw::channel::channel::<()>();
        let (setup_tx, setup_rx) = std::sync::mpsc::channel::<Result<()>>();
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("latchkey-mutter-pipewire".to_string())
            .spawn(move || {
                let shared = thread_shared.clone();
                if let Err(e) = run(node_id, remote, thread_shared, quit_rx, &setup_tx) {
                    tracing::warn!(error = %e, "PipeWire capture stopped");
                    shared.end(e.to_string());
                    let _ = setup_tx.send(Err(e));
                }
            })
            .map_err(Error::io("starting the PipeWire thread"))?;
        let mut capture = Capture {
            shared,
            quit: Some(quit_tx),
            thread: Some(thread),
            seen: 0,
        };
        match setup_rx.recv_timeout(SETUP_TIMEOUT) {
            Ok(Ok(())) => Ok(capture),
            Ok(Err(e)) => Err(e),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                capture.stop();
                Err(Error::Timeout {
                    what: "connecting to PipeWire",
                    after: SETUP_TIMEOUT,
                })
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                let why = capture.shared.lock().ended.clone();
                Err(Error::PipeWire {
                    what: "starting the stream",
                    message: why.unwrap_or_else(|| "the PipeWire thread ended".to_string()),
                })
            }
        }
    }

    /// The latest frame, if any came yet.
    pub fn latest(&self) -> Option<Arc<Frame>> {
        self.shared.lock().latest.clone()
    }

    /// Waits up to `timeout` for a frame newer than the last one this method
    /// returned (the first call: any frame). `Ok(None)` when none came (a still
    /// screen sends nothing); an error when the stream failed or ended.
    pub fn next_frame(&mut self, timeout: Duration) -> Result<Option<Arc<Frame>>> {
        let deadline = Instant::now() + timeout;
        let mut slot = self.shared.lock();
        loop {
            if let Some(frame) = &slot.latest {
                if frame.sequence > self.seen {
                    self.seen = frame.sequence;
                    return Ok(Some(frame.clone()));
                }
            }
            if let Some(why) = &slot.ended {
                return Err(Error::PipeWire {
                    what: "the stream",
                    message: why.clone(),
                });
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return Ok(None);
            };
            slot = self
                .shared
                .changed
                .wait_timeout(slot, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Waits up to `timeout` for a frame (the latest, however old), or fails.
    pub fn frame(&mut self, timeout: Duration) -> Result<Arc<Frame>> {
        if let Some(frame) = self.latest() {
            return Ok(frame);
        }
        self.next_frame(timeout)?.ok_or(Error::Timeout {
            what: "the first frame",
            after: timeout,
        })
    }

    fn stop(&mut self) {
        if let Some(quit) = self.quit.take() {
            // Fails only when the loop has already ended.
            let _ = quit.send(());
        }
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::warn!("the PipeWire thread panicked");
            }
        }
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Where the stream thread finds the PipeWire daemon.
enum Remote {
    /// `$PIPEWIRE_REMOTE`, else `pipewire-0` in `$XDG_RUNTIME_DIR`.
    Default,
    /// A socket by name or path.
    Named(String),
    /// An open connection (a portal's `OpenPipeWireRemote`).
    Fd(OwnedFd),
}

/// What the stream's callbacks keep.
struct StreamData {
    format: VideoInfoRaw,
    shared: Arc<Shared>,
    sequence: u64,
}

/// The stream thread: sets up, reports the outcome through `setup`, runs the loop.
fn run(
    node_id: u32,
    remote: Remote,
    shared: Arc<Shared>,
    quit: pw::channel::Receiver<()>,
    setup: &std::sync::mpsc::Sender<Result<()>>,
) -> Result<()> {
    let pw_err = |what: &'static str| {
        move |e: pw::Error| Error::PipeWire {
            what,
            message: e.to_string(),
        }
    };
    pw::init();
    let main_loop = pw::main_loop::MainLoopRc::new(None).map_err(pw_err("creating a main loop"))?;
    let context =
        pw::context::ContextRc::new(&main_loop, None).map_err(pw_err("creating a context"))?;
    let core = match remote {
        Remote::Default => context.connect_rc(None),
        Remote::Named(r) => context.connect_rc(Some(
            pw::properties::properties! { *pw::keys::REMOTE_NAME => r },
        )),
        Remote::Fd(fd) => context.connect_fd_rc(fd, None),
    }
    .map_err(pw_err("connecting to the PipeWire daemon"))?;
    let stream = pw::stream::StreamRc::new(
        core.clone(),
        "latchkey-mutter",
        pw::properties::properties! {
            *pw::keys::MEDIA_TYPE => "Video",
            *pw::keys::MEDIA_CATEGORY => "Capture",
            *pw::keys::MEDIA_ROLE => "Screen",
        },
    )
    .map_err(pw_err("creating a stream"))?;

    let data = StreamData {
        format: VideoInfoRaw::default(),
        shared: shared.clone(),
        sequence: 0,
    };
    let loop_for_state = main_loop.downgrade();
    let _listener = stream
        .add_local_listener_with_user_data(data)
        .state_changed(move |_, data, old, new| {
            tracing::debug!(?old, ?new, "PipeWire stream state");
            match new {
                pw::stream::StreamState::Error(why) => {
                    data.shared.end(format!("stream error: {why}"));
                    if let Some(l) = loop_for_state.upgrade() {
                        l.quit();
                    }
                }
                pw::stream::StreamState::Unconnected => {
                    data.shared.end("the stream was disconnected".to_string());
                    if let Some(l) = loop_for_state.upgrade() {
                        l.quit();
                    }
                }
                _ => {}
            }
        })
        .param_changed(|stream, data, id, param| {
            let Some(param) = param else { return };
            if id != ParamType::Format.as_raw() {
                return;
            }
            match spa::param::format_utils::parse_format(param) {
                Ok((MediaType::Video, MediaSubtype::Raw)) => {}
                _ => return,
            }
            if let Err(e) = data.format.parse(param) {
                tracing::warn!(error = ?e, "unreadable video format");
                return;
            }
            let size = data.format.size();
            tracing::debug!(
                format = ?data.format.format(),
                width = size.width,
                height = size.height,
                "PipeWire format negotiated"
            );
            // Ask for buffers in memory the process can map (memfd or plain memory).
            match serialize(buffers_param()) {
                Ok(bytes) => {
                    if let Some(pod) = Pod::from_bytes(&bytes) {
                        if let Err(e) = stream.update_params(&mut [pod]) {
                            tracing::warn!(error = %e, "setting the buffer parameters failed");
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "building the buffer parameters failed"),
            }
        })
        .process(|stream, data| {
            let Some(mut buffer) = stream.dequeue_buffer() else {
                return;
            };
            let datas = buffer.datas_mut();
            let Some(d) = datas.first_mut() else { return };
            let chunk = d.chunk();
            if chunk.flags().contains(spa::buffer::ChunkFlags::CORRUPTED) || chunk.size() == 0 {
                // A cursor-only update or a damaged buffer: nothing new to show.
                return;
            }
            let (offset, stride) = (chunk.offset() as usize, chunk.stride());
            let size = data.format.size();
            let format = data.format.format();
            let Some(bytes) = d.data() else { return };
            match to_bgra(bytes, offset, stride, size.width, size.height, format) {
                Ok(pixels) => {
                    data.sequence += 1;
                    let frame = Frame {
                        width: size.width,
                        height: size.height,
                        stride: size.width as usize * 4,
                        data: pixels,
                        sequence: data.sequence,
                        source_format: format_name(format),
                    };
                    let mut slot = data.shared.lock();
                    slot.latest = Some(Arc::new(frame));
                    data.shared.changed.notify_all();
                }
                Err(e) => {
                    tracing::warn!(error = %e, "dropping a frame");
                }
            }
        })
        .register()
        .map_err(pw_err("registering stream callbacks"))?;

    let bytes = serialize(format_param()).map_err(|message| Error::PipeWire {
        what: "building the format parameters",
        message,
    })?;
    let pod = Pod::from_bytes(&bytes).ok_or_else(|| Error::PipeWire {
        what: "building the format parameters",
        message: "not a pod".to_string(),
    })?;
    stream
        .connect(
            spa::utils::Direction::Input,
            Some(node_id),
            pw::stream::StreamFlags::AUTOCONNECT | pw::stream::StreamFlags::MAP_BUFFERS,
            &mut [pod],
        )
        .map_err(pw_err("connecting the stream to the node"))?;

    // Mutter removes the node when its session ends; the stream itself only pauses.
    let registry = core
        .get_registry_rc()
        .map_err(pw_err("getting the registry"))?;
    let loop_for_remove = main_loop.downgrade();
    let shared_for_remove = shared.clone();
    let _registry_listener = registry
        .add_listener_local()
        .global_remove(move |id| {
            if id == node_id {
                shared_for_remove.end("the screen cast node went away".to_string());
                if let Some(l) = loop_for_remove.upgrade() {
                    l.quit();
                }
            }
        })
        .register();

    let loop_for_quit = main_loop.downgrade();
    let _quit = quit.attach(main_loop.loop_(), move |()| {
        if let Some(l) = loop_for_quit.upgrade() {
            l.quit();
        }
    });
    let _ = setup.send(Ok(()));
    main_loop.run();
    let _ = stream.disconnect();
    shared.end("the capture was stopped".to_string());
    Ok(())
}

/// The formats this crate reads: 32-bit RGB in either byte order, any size.
fn format_param() -> Object {
    use spa::pod::ChoiceValue;
    use spa::utils::{Choice, ChoiceEnum, ChoiceFlags, Id};
    let formats = [
        VideoFormat::BGRx,
        VideoFormat::BGRA,
        VideoFormat::RGBx,
        VideoFormat::RGBA,
    ];
    let choice_id = |default: VideoFormat| {
        Value::Choice(ChoiceValue::Id(Choice(
            ChoiceFlags::empty(),
            ChoiceEnum::Enum {
                default: Id(default.as_raw()),
                alternatives: formats.iter().map(|f| Id(f.as_raw())).collect(),
            },
        )))
    };
    Object {
        type_: SpaTypes::ObjectParamFormat.as_raw(),
        id: ParamType::EnumFormat.as_raw(),
        properties: vec![
            Property::new(
                FormatProperties::MediaType.as_raw(),
                Value::Id(Id(MediaType::Video.as_raw())),
            ),
            Property::new(
                FormatProperties::MediaSubtype.as_raw(),
                Value::Id(Id(MediaSubtype::Raw.as_raw())),
            ),
            Property::new(
                FormatProperties::VideoFormat.as_raw(),
                choice_id(VideoFormat::BGRx),
            ),
            Property::new(
                FormatProperties::VideoSize.as_raw(),
                Value::Choice(ChoiceValue::Rectangle(Choice(
                    ChoiceFlags::empty(),
                    ChoiceEnum::Range {
                        default: Rectangle {
                            width: 1920,
                            height: 1080,
                        },
                        min: Rectangle {
                            width: 1,
                            height: 1,
                        },
                        max: Rectangle {
                            width: 16384,
                            height: 16384,
                        },
                    },
                ))),
            ),
            Property::new(
                FormatProperties::VideoFramerate.as_raw(),
                Value::Choice(ChoiceValue::Fraction(Choice(
                    ChoiceFlags::empty(),
                    ChoiceEnum::Range {
                        default: Fraction { num: 30, denom: 1 },
                        min: Fraction { num: 0, denom: 1 },
                        max: Fraction {
                            num: 1000,
                            denom: 1,
                        },
                    },
                ))),
            ),
        ],
    }
}

/// Buffers in memory this process can map: memfd or plain memory, not DMA-buf.
fn buffers_param() -> Object {
    let types = (1 << spa::sys::SPA_DATA_MemFd) | (1 << spa::sys::SPA_DATA_MemPtr);
    Object {
        type_: SpaTypes::ObjectParamBuffers.as_raw(),
        id: ParamType::Buffers.as_raw(),
        properties: vec![Property {
            key: spa::sys::SPA_PARAM_BUFFERS_dataType,
            flags: PropertyFlags::empty(),
            value: Value::Int(types),
        }],
    }
}

fn serialize(object: Object) -> std::result::Result<Vec<u8>, String> {
    spa::pod::serialize::PodSerializer::serialize(
        std::io::Cursor::new(Vec::new()),
        &Value::Object(object),
    )
    .map(|(cursor, _)| cursor.into_inner())
    .map_err(|e| format!("{e:?}"))
}

fn format_name(format: VideoFormat) -> &'static str {
    match format {
        VideoFormat::BGRx => "BGRx",
        VideoFormat::BGRA => "BGRA",
        VideoFormat::RGBx => "RGBx",
        VideoFormat::RGBA => "RGBA",
        _ => "other",
    }
}

/// Copies a 32-bit RGB buffer (rows `stride` bytes apart from `offset`) into
/// tightly packed BGRA with alpha 255.
pub(crate) fn to_bgra(
    bytes: &[u8],
    offset: usize,
    stride: i32,
    width: u32,
    height: u32,
    format: VideoFormat,
) -> Result<Vec<u8>> {
    let swap = match format {
        VideoFormat::BGRx | VideoFormat::BGRA => false,
        VideoFormat::RGBx | VideoFormat::RGBA => true,
        other => return Err(Error::UnsupportedFormat(format!("{other:?}"))),
    };
    let row = width as usize * 4;
    let stride = usize::try_from(stride).unwrap_or(0);
    let bad = |why: &str| Error::PipeWire {
        what: "reading a buffer",
        message: why.to_string(),
    };
    if width == 0 || height == 0 || stride < row {
        return Err(bad("bad geometry"));
    }
    let needed = (height as usize - 1)
        .checked_mul(stride)
        .and_then(|n| n.checked_add(row))
        .and_then(|n| n.checked_add(offset))
        .ok_or_else(|| bad("bad geometry"))?;
    if bytes.len() < needed {
        return Err(bad("buffer smaller than the frame"));
    }
    let mut out = Vec::with_capacity(row * height as usize);
    for y in 0..height as usize {
        let start = offset + y * stride;
        out.extend_from_slice(&bytes[start..start + row]);
    }
    for px in out.chunks_exact_mut(4) {
        if swap {
            px.swap(0, 2);
        }
        px[3] = 255;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bgrx_rows_are_packed_with_opaque_alpha() {
        // 2x2, stride 12 (4 bytes of padding per row), offset 4.
        let mut buf = vec![0xee; 4];
        buf.extend_from_slice(&[1, 2, 3, 0, 4, 5, 6, 0, 9, 9, 9, 9]);
        buf.extend_from_slice(&[7, 8, 9, 0, 10, 11, 12, 0, 9, 9, 9, 9]);
        let out = to_bgra(&buf, 4, 12, 2, 2, VideoFormat::BGRx).expect("convert");
        assert_eq!(
            out,
            [1, 2, 3, 255, 4, 5, 6, 255, 7, 8, 9, 255, 10, 11, 12, 255]
        );
    }

    #[test]
    fn rgbx_is_swapped_to_bgra() {
        let buf = [1, 2, 3, 0];
        let out = to_bgra(&buf, 0, 4, 1, 1, VideoFormat::RGBx).expect("convert");
        assert_eq!(out, [3, 2, 1, 255]);
    }

    #[test]
    fn a_missing_pipewire_daemon_is_named() {
        let dir = std::env::temp_dir().join("latchkey-mutter-no-pipewire");
        let err = Capture::connect(42, Some(&dir.join("pipewire-0"))).expect_err("no daemon");
        assert!(
            matches!(
                err,
                Error::PipeWire {
                    what: "connecting to the PipeWire daemon",
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn short_buffers_and_other_formats_are_refused() {
        let buf = [0u8; 15];
        assert!(to_bgra(&buf, 0, 8, 2, 2, VideoFormat::BGRx).is_err());
        assert!(to_bgra(&buf, 0, 4, 2, 1, VideoFormat::BGRx).is_err());
        assert!(matches!(
            to_bgra(&buf, 0, 4, 1, 1, VideoFormat::I420),
            Err(Error::UnsupportedFormat(_))
        ));
    }
}
