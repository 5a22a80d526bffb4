//! Clipboard text (and images) through `arboard`; values in targets of our
//! own naming (a file list) through [`crate::x11_selection`].
//!
//! On X11 the clipboard is not a store: the program that last set it must stay
//! alive and answer every paste. `arboard` does this from a background thread
//! that lives as long as a [`Clipboard`] does, so **keep one `Clipboard` for the
//! whole session** (the host's session owns it) rather than creating one per
//! message: content set through a `Clipboard` that is then dropped disappears
//! unless a clipboard manager takes it over (arboard offers it to one on drop,
//! waiting briefly; Xvfb has none). Like capture, it talks to the process's `DISPLAY`.
//!
//! In a wlroots session ([`crate::session::detect`]) the text goes through the
//! compositor's wlr-data-control instead (`latchkey_wayland::Clipboard`, the
//! same rule: it serves what it set while it lives); images and targets of our
//! own naming are not offered there yet.

use crate::error::{Error, Result};

/// An RGBA clipboard image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClipboardImage {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Packed RGBA bytes, `width * height * 4`.
    pub rgba: Vec<u8>,
}

fn cb_err(e: arboard::Error) -> Error {
    Error::Clipboard(e.to_string())
}

/// A long-lived handle on the system clipboard (see the module docs for why it must live on).
pub struct Clipboard {
    inner: Inner,
    /// What we offer in targets of our own naming, while we do.
    offer: Option<crate::x11_selection::SelectionOffer>,
}

enum Inner {
    X11(arboard::Clipboard),
    Wlroots(latchkey_wayland::Clipboard),
}

fn wl_err(e: latchkey_wayland::Error) -> Error {
    Error::Clipboard(format!("Wayland: {e}"))
}

fn not_on_wayland(what: &str) -> Error {
    Error::Clipboard(format!("{what} is not offered on Wayland (wlroots) yet"))
}

impl std::fmt::Debug for Clipboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clipboard").finish_non_exhaustive()
    }
}

impl Clipboard {
    /// Connects to the clipboard of the current display.
    pub fn new() -> Result<Self> {
        let inner = if crate::session::detect().kind == crate::session::SessionKind::Wlroots {
            Inner::Wlroots(latchkey_wayland::Clipboard::connect().map_err(wl_err)?)
        } else {
            Inner::X11(arboard::Clipboard::new().map_err(cb_err)?)
        };
        Ok(Self { inner, offer: None })
    }

    fn x11(&mut self, what: &str) -> Result<&mut arboard::Clipboard> {
        match &mut self.inner {
            Inner::X11(cb) => Ok(cb),
            Inner::Wlroots(_) => Err(not_on_wayland(what)),
        }
    }

    /// The clipboard's text, or `None` when it is empty or holds no text.
    pub fn get_text(&mut self) -> Result<Option<String>> {
        let cb = match &mut self.inner {
            Inner::X11(cb) => cb,
            Inner::Wlroots(cb) => return cb.get_text().map_err(wl_err),
        };
        match cb.get_text() {
            Ok(t) => Ok(Some(t)),
            Err(arboard::Error::ContentNotAvailable) => Ok(None),
            Err(e) => Err(cb_err(e)),
        }
    }

    /// Replaces the clipboard with `text`; served for as long as `self` lives.
    pub fn set_text(&mut self, text: &str) -> Result<()> {
        self.offer = None;
        match &mut self.inner {
            Inner::X11(cb) => cb.set_text(text).map_err(cb_err),
            Inner::Wlroots(cb) => cb.set_text(text).map_err(wl_err),
        }
    }

    /// The clipboard's image, or `None` when it holds none.
    pub fn get_image(&mut self) -> Result<Option<ClipboardImage>> {
        match self.x11("a clipboard image")?.get_image() {
            Ok(img) => Ok(Some(ClipboardImage {
                width: img.width,
                height: img.height,
                rgba: img.bytes.into_owned(),
            })),
            Err(arboard::Error::ContentNotAvailable) => Ok(None),
            Err(e) => Err(cb_err(e)),
        }
    }

    /// Replaces the clipboard with an image (offered to pasting programs as PNG).
    pub fn set_image(&mut self, image: &ClipboardImage) -> Result<()> {
        let need = image
            .width
            .checked_mul(image.height)
            .and_then(|n| n.checked_mul(4));
        if need != Some(image.rgba.len()) || image.width == 0 || image.height == 0 {
            return Err(Error::BadFrame(format!(
                "clipboard image {}x{} with {} bytes",
                image.width,
                image.height,
                image.rgba.len()
            )));
        }
        self.x11("a clipboard image")?
            .set_image(arboard::ImageData {
                width: image.width,
                height: image.height,
                bytes: std::borrow::Cow::Borrowed(&image.rgba),
            })
            .map_err(cb_err)
    }

    /// Replaces the clipboard with values in these targets (name, bytes),
    /// e.g. `text/uri-list`; served for as long as `self` lives (or until
    /// another program takes the clipboard).
    pub fn offer(&mut self, targets: Vec<(String, Vec<u8>)>) -> Result<()> {
        self.offer = None;
        self.x11("a file list on the clipboard")?;
        self.offer = Some(crate::x11_selection::SelectionOffer::start(targets)?);
        Ok(())
    }

    /// The clipboard's value in the first of `targets` it offers, and
    /// which (`None`: empty, or none of them offered).
    pub fn read(&mut self, targets: &[&str]) -> Result<Option<(String, Vec<u8>)>> {
        self.x11("a file list on the clipboard")?;
        crate::x11_selection::read_selection(targets)
    }
}
