//! What the viewer keeps of the host's screen: a screenshot once the picture
//! has settled (PNG), or a recording (Y4M, 30 fps, I420).

use std::path::Path;

use latchkey_media::{convert, Frame};

use crate::features::video::{VideoIn, REFINE_FRAMES};
use crate::viewer::Session;
use crate::Error;

/// The host's screen as decoded frames (waits up to 15 s for the track).
async fn open_video(session: &Session) -> Result<VideoIn, Error> {
    session.video(std::time::Duration::from_secs(15)).await
}

/// The next decoded frame within `secs`; `Ok(None)` when none came in time.
async fn frame_within(video: &mut VideoIn, secs: u64) -> Result<Option<Frame>, Error> {
    match tokio::time::timeout(std::time::Duration::from_secs(secs), video.next_frame()).await {
        Ok(Ok(Some(frame))) => Ok(Some(frame)),
        Ok(Ok(None)) => Err(Error::Io("the host's screen stream ended".into())),
        Ok(Err(e)) => Err(e),
        Err(_) => Ok(None),
    }
}

/// The first decoded frame within `secs`, asking the host for a keyframe
/// after each second without one.
async fn first_frame_within(video: &mut VideoIn, secs: u64) -> Result<Option<Frame>, Error> {
    for _ in 0..secs {
        if let Some(frame) = frame_within(video, 1).await? {
            return Ok(Some(frame));
        }
        video.ask_keyframe().await;
    }
    Ok(None)
}

/// Save the host's screen as PNG once the picture settled (at least `n` frames in); returns its size.
pub async fn screenshot(session: &Session, path: &Path, n: u32) -> Result<(u32, u32), Error> {
    let fail = Error::Io;
    let mut video = open_video(session).await?;
    // The host sends nothing while its screen is idle, and refines a new
    // picture over a few frames: after the n-th frame, a quiet second means the
    // picture has settled; on a screen that keeps changing, stop 10 frames later.
    let n = n.max(1) as usize;
    let mut last = None;
    let mut count = 0usize;
    loop {
        let next = if count == 0 {
            first_frame_within(&mut video, 15).await?
        } else {
            frame_within(&mut video, 1).await?
        };
        match next {
            Some(frame) => {
                last = Some(frame);
                count += 1;
                if count >= n + REFINE_FRAMES as usize {
                    break;
                }
            }
            None if count >= n => break,
            None if count > 0 => {}
            None => return Err(fail("no frame from the host within 15 s".into())),
        }
    }
    let frame = last.ok_or_else(|| fail("no frame".into()))?;
    write_png(path, &frame).map_err(Error::Io)?;
    Ok((frame.width(), frame.height()))
}

/// Record `seconds` of the host's screen as Y4M at 30 fps (the latest picture
/// is repeated while the host's screen is idle); returns the picture size.
pub async fn record(session: &Session, path: &Path, seconds: u32) -> Result<(u32, u32), Error> {
    use std::io::Write;
    let fail = Error::Io;
    let mut video = open_video(session).await?;
    let first = first_frame_within(&mut video, 15)
        .await?
        .ok_or_else(|| fail("no frame from the host within 15 s".into()))?;
    let (w, h) = (first.width(), first.height());
    let file = std::fs::File::create(path)
        .map_err(|e| fail(format!("cannot write {}: {e}", path.display())))?;
    let mut out = std::io::BufWriter::new(file);
    let io = |e: std::io::Error| Error::Io(format!("writing {}: {e}", path.display()));
    writeln!(
        out,
        "YUV4MPEG2 W{w} H{h} F30:1 Ip A1:1 C420jpeg XCOLORRANGE=LIMITED"
    )
    .map_err(io)?;
    let mut current = convert::to_i420(&first).map_err(|e| fail(e.to_string()))?;
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1) / 30);
    for _ in 0..seconds * 30 {
        tick.tick().await;
        // Take every frame that arrived since the last tick; keep the newest.
        while let Ok(next) =
            tokio::time::timeout(std::time::Duration::from_millis(1), video.next_frame()).await
        {
            match next {
                Ok(Some(f)) if f.width() == w && f.height() == h => {
                    current = convert::to_i420(&f).map_err(|e| fail(e.to_string()))?;
                }
                Ok(Some(_)) => {}
                Ok(None) => return Err(fail("the host's screen stream ended".into())),
                Err(e) => return Err(fail(e.to_string())),
            }
        }
        out.write_all(b"FRAME\n").map_err(io)?;
        out.write_all(current.y()).map_err(io)?;
        out.write_all(current.u()).map_err(io)?;
        out.write_all(current.v()).map_err(io)?;
    }
    out.flush().map_err(io)?;
    Ok((w, h))
}

/// Save a frame as an RGBA PNG.
fn write_png(path: &Path, frame: &Frame) -> Result<(), String> {
    let (w, h) = (frame.width(), frame.height());
    let mut rgba = Vec::with_capacity(w as usize * h as usize * 4);
    for y in 0..h {
        for x in 0..w {
            rgba.extend_from_slice(&frame.rgba_at(x, y).unwrap_or([0, 0, 0, 255]));
        }
    }
    let file =
        std::fs::File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(&rgba).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())
}
