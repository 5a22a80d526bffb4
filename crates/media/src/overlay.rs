//! Drawing on top of everything on the host's X display, with no compositor:
//! an override-redirect window whose bounding shape (SHAPE extension) is
//! exactly what is drawn, so the rest of the screen shows through, and whose
//! input shape is empty, so every click passes through to the window below.
//! The drawing is the window's background pixmap: the X server repaints it
//! on every expose with no event loop of ours. The whiteboard's strokes and
//! viewers' pointers are both shown this way. Talks to the display named by
//! `DISPLAY`; blocking calls, for a thread of the caller's.

use std::collections::HashMap;

use x11rb::connection::{Connection, RequestConnection};
use x11rb::protocol::shape::{ConnectionExt as _, SK, SO};
use x11rb::protocol::xproto::{
    CapStyle, ChangeGCAux, ClipOrdering, ConfigureWindowAux, ConnectionExt as _, CoordMode,
    CreateGCAux, CreateWindowAux, Font, Gcontext, JoinStyle, Pixmap, Point, PolyShape, Rectangle,
    StackMode, Window, WindowClass,
};
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;

use crate::error::{Error, Result};

/// A colour, red, green, blue.
pub type Rgb = [u8; 3];

/// One thing drawn, in the drawing's coordinates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// A line through `points`, `width` pixels wide, with round ends and joins.
    Line {
        /// Two or more points.
        points: Vec<(i32, i32)>,
        /// Its width.
        width: u16,
        /// Its colour.
        color: Rgb,
    },
    /// A filled polygon.
    Polygon {
        /// Its corners.
        points: Vec<(i32, i32)>,
        /// Its colour.
        color: Rgb,
    },
    /// A label: `text` (printable ASCII) in `color` on a box of `background`,
    /// its top left corner at (`x`, `y`).
    Label {
        /// Left.
        x: i32,
        /// Top.
        y: i32,
        /// The text.
        text: String,
        /// The text's colour.
        color: Rgb,
        /// The box's colour.
        background: Rgb,
    },
}

/// What one overlay window shows.
pub type Drawing = Vec<Shape>;

/// Space around a label's text, in pixels.
const LABEL_PAD: i32 = 2;

fn x_err(e: impl std::fmt::Display) -> Error {
    Error::Display(format!("overlay: {e}"))
}

/// A connection to the display for overlay windows.
pub struct OverlayDisplay {
    conn: RustConnection,
    root: Window,
    depth: u8,
    colormap: u32,
    font: Font,
    /// The font's cell: width, ascent, descent.
    cell: (i32, i32, i32),
    pixels: HashMap<Rgb, u32>,
    /// Where each shown window's drawing starts, from its offset.
    offsets: HashMap<Window, (i32, i32)>,
}

impl std::fmt::Debug for OverlayDisplay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OverlayDisplay").finish_non_exhaustive()
    }
}

/// One overlay window (unmapped until something is shown). Give it back
/// with [`OverlayDisplay::destroy`]; the X server removes it anyway when the
/// connection closes.
#[derive(Debug, PartialEq, Eq, Hash, Clone, Copy)]
pub struct OverlayWindow(Window);

/// A drawing's extent: left, top, width, height.
fn bounds(drawing: &Drawing, cell: (i32, i32, i32)) -> Option<(i32, i32, i32, i32)> {
    let mut points: Vec<(i32, i32)> = Vec::new();
    for shape in drawing {
        match shape {
            Shape::Line {
                points: p, width, ..
            } => {
                let r = i32::from(*width) / 2 + 1;
                for (x, y) in p {
                    points.extend([(x - r, y - r), (x + r, y + r)]);
                }
            }
            Shape::Polygon { points: p, .. } => points.extend(p),
            Shape::Label { x, y, text, .. } => {
                let (w, h) = label_size(text, cell);
                points.extend([(*x, *y), (x + w, y + h)]);
            }
        }
    }
    let left = points.iter().map(|p| p.0).min()?;
    let top = points.iter().map(|p| p.1).min()?;
    let right = points.iter().map(|p| p.0).max()?;
    let bottom = points.iter().map(|p| p.1).max()?;
    Some((left, top, right - left + 1, bottom - top + 1))
}

fn label_size(text: &str, (width, ascent, descent): (i32, i32, i32)) -> (i32, i32) {
    (
        width * text.len() as i32 + 2 * LABEL_PAD,
        ascent + descent + 2 * LABEL_PAD,
    )
}

/// X11 coordinates are 16-bit.
fn c16(v: i32) -> i16 {
    v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

fn points(list: &[(i32, i32)], (dx, dy): (i32, i32)) -> Vec<Point> {
    list.iter()
        .map(|(x, y)| Point {
            x: c16(x - dx),
            y: c16(y - dy),
        })
        .collect()
}

impl OverlayDisplay {
    /// Connect to `DISPLAY`; fails without the SHAPE extension.
    pub fn connect() -> Result<Self> {
        let (conn, screen) = x11rb::connect(None).map_err(x_err)?;
        if conn
            .extension_information(x11rb::protocol::shape::X11_EXTENSION_NAME)
            .map_err(x_err)?
            .is_none()
        {
            return Err(Error::Display(
                "overlay: the X server has no SHAPE extension".into(),
            ));
        }
        conn.shape_query_version()
            .map_err(x_err)?
            .reply()
            .map_err(x_err)?;
        let s = &conn.setup().roots[screen];
        let (root, depth, colormap) = (s.root, s.root_depth, s.default_colormap);
        let font = conn.generate_id().map_err(x_err)?;
        conn.open_font(font, b"fixed").map_err(x_err)?;
        let info = conn
            .query_font(font)
            .map_err(x_err)?
            .reply()
            .map_err(x_err)?;
        let cell = (
            i32::from(info.max_bounds.character_width).max(1),
            i32::from(info.font_ascent),
            i32::from(info.font_descent),
        );
        Ok(OverlayDisplay {
            conn,
            root,
            depth,
            colormap,
            font,
            cell,
            pixels: HashMap::new(),
            offsets: HashMap::new(),
        })
    }

    /// A new overlay window, not shown yet.
    pub fn create(&mut self) -> Result<OverlayWindow> {
        let window = self.conn.generate_id().map_err(x_err)?;
        self.conn
            .create_window(
                x11rb::COPY_DEPTH_FROM_PARENT,
                window,
                self.root,
                0,
                0,
                1,
                1,
                0,
                WindowClass::INPUT_OUTPUT,
                x11rb::COPY_FROM_PARENT,
                &CreateWindowAux::new().override_redirect(1),
            )
            .map_err(x_err)?;
        self.conn
            .change_property8(
                x11rb::protocol::xproto::PropMode::REPLACE,
                window,
                x11rb::protocol::xproto::AtomEnum::WM_NAME,
                x11rb::protocol::xproto::AtomEnum::STRING,
                b"latchkey-overlay",
            )
            .map_err(x_err)?;
        // Clicks pass through: an empty input shape.
        self.conn
            .shape_rectangles(
                SO::SET,
                SK::INPUT,
                ClipOrdering::UNSORTED,
                window,
                0,
                0,
                &[],
            )
            .map_err(x_err)?;
        Ok(OverlayWindow(window))
    }

    /// The pixel value of a colour on the default colormap (asked once).
    fn pixel(&mut self, color: Rgb) -> Result<u32> {
        if let Some(p) = self.pixels.get(&color) {
            return Ok(*p);
        }
        let wide = |c: u8| u16::from(c) * 257;
        let reply = self
            .conn
            .alloc_color(
                self.colormap,
                wide(color[0]),
                wide(color[1]),
                wide(color[2]),
            )
            .map_err(x_err)?
            .reply()
            .map_err(x_err)?;
        self.pixels.insert(color, reply.pixel);
        Ok(reply.pixel)
    }

    /// Show `drawing` in `window`, its coordinates offset by `at` (on the
    /// root window), raised above every other window; an empty drawing
    /// hides it. Returns once the X server has done it.
    pub fn show(&mut self, window: OverlayWindow, at: (i32, i32), drawing: &Drawing) -> Result<()> {
        let Some((left, top, width, height)) = bounds(drawing, self.cell) else {
            return self.hide(window);
        };
        let (w, h) = (
            width.clamp(1, i32::from(i16::MAX)) as u16,
            height.clamp(1, i32::from(i16::MAX)) as u16,
        );
        let colour = self.conn.generate_id().map_err(x_err)?;
        let mask = self.conn.generate_id().map_err(x_err)?;
        self.conn
            .create_pixmap(self.depth, colour, self.root, w, h)
            .map_err(x_err)?;
        self.conn
            .create_pixmap(1, mask, self.root, w, h)
            .map_err(x_err)?;
        let drawn = self.paint(colour, mask, (left, top), (w, h), drawing);
        let done = drawn.and_then(|()| {
            let c = &self.conn;
            c.shape_mask(SO::SET, SK::BOUNDING, window.0, 0, 0, mask)
                .map_err(x_err)?;
            c.change_window_attributes(
                window.0,
                &x11rb::protocol::xproto::ChangeWindowAttributesAux::new()
                    .background_pixmap(colour),
            )
            .map_err(x_err)?;
            c.configure_window(
                window.0,
                &ConfigureWindowAux::new()
                    .x(at.0 + left)
                    .y(at.1 + top)
                    .width(u32::from(w))
                    .height(u32::from(h))
                    .stack_mode(StackMode::ABOVE),
            )
            .map_err(x_err)?;
            c.map_window(window.0).map_err(x_err)?;
            c.clear_area(false, window.0, 0, 0, 0, 0).map_err(x_err)?;
            Ok(())
        });
        // The window keeps its background; the pixmaps themselves can go.
        let _ = self.conn.free_pixmap(colour);
        let _ = self.conn.free_pixmap(mask);
        done?;
        self.offsets.insert(window.0, (left, top));
        self.sync()
    }

    /// Move what `window` shows to offset `at` (as [`OverlayDisplay::show`]'s)
    /// and raise it, without drawing it again.
    pub fn move_to(&mut self, window: OverlayWindow, at: (i32, i32)) -> Result<()> {
        let (left, top) = self.offsets.get(&window.0).copied().unwrap_or_default();
        let (x, y) = (at.0 + left, at.1 + top);
        self.conn
            .configure_window(
                window.0,
                &ConfigureWindowAux::new()
                    .x(x)
                    .y(y)
                    .stack_mode(StackMode::ABOVE),
            )
            .map_err(x_err)?;
        self.conn.flush().map_err(x_err)
    }

    /// Raise a window above every other again (a window mapped later covers it).
    pub fn raise(&mut self, window: OverlayWindow) -> Result<()> {
        self.conn
            .configure_window(
                window.0,
                &ConfigureWindowAux::new().stack_mode(StackMode::ABOVE),
            )
            .map_err(x_err)?;
        self.conn.flush().map_err(x_err)
    }

    /// Hide a window (kept for later).
    pub fn hide(&mut self, window: OverlayWindow) -> Result<()> {
        self.conn.unmap_window(window.0).map_err(x_err)?;
        self.sync()
    }

    /// Remove a window.
    pub fn destroy(&mut self, window: OverlayWindow) -> Result<()> {
        self.offsets.remove(&window.0);
        self.conn.destroy_window(window.0).map_err(x_err)?;
        self.sync()
    }

    /// Wait until the X server did everything asked (and report its errors).
    fn sync(&self) -> Result<()> {
        self.conn
            .get_input_focus()
            .map_err(x_err)?
            .reply()
            .map_err(x_err)?;
        match self.conn.poll_for_event().map_err(x_err)? {
            Some(x11rb::protocol::Event::Error(e)) => Err(x_err(format!("{e:?}"))),
            _ => Ok(()),
        }
    }

    /// Draw `drawing` into `colour` and its shape into `mask` (both `size`,
    /// the drawing's point `origin` at their top left).
    fn paint(
        &mut self,
        colour: Pixmap,
        mask: Pixmap,
        origin: (i32, i32),
        size: (u16, u16),
        drawing: &Drawing,
    ) -> Result<()> {
        let gc: Gcontext = self.conn.generate_id().map_err(x_err)?;
        let bit: Gcontext = self.conn.generate_id().map_err(x_err)?;
        let style = CreateGCAux::new()
            .cap_style(CapStyle::ROUND)
            .join_style(JoinStyle::ROUND)
            .font(self.font)
            .graphics_exposures(0);
        self.conn
            .create_gc(gc, colour, &style.foreground(0))
            .map_err(x_err)?;
        self.conn
            .create_gc(bit, mask, &style.foreground(0))
            .map_err(x_err)?;
        let painted = self.paint_with(gc, bit, colour, mask, origin, size, drawing);
        let _ = self.conn.free_gc(gc);
        let _ = self.conn.free_gc(bit);
        painted
    }

    #[allow(clippy::too_many_arguments)]
    fn paint_with(
        &mut self,
        gc: Gcontext,
        bit: Gcontext,
        colour: Pixmap,
        mask: Pixmap,
        origin: (i32, i32),
        (w, h): (u16, u16),
        drawing: &Drawing,
    ) -> Result<()> {
        let all = Rectangle {
            x: 0,
            y: 0,
            width: w,
            height: h,
        };
        self.conn
            .poly_fill_rectangle(mask, bit, &[all])
            .map_err(x_err)?;
        self.conn
            .change_gc(bit, &ChangeGCAux::new().foreground(1).background(1))
            .map_err(x_err)?;
        for shape in drawing {
            match shape {
                Shape::Line {
                    points: p,
                    width,
                    color,
                } => {
                    let pixel = self.pixel(*color)?;
                    let line = points(p, origin);
                    for (g, d, fg) in [(gc, colour, pixel), (bit, mask, 1)] {
                        self.conn
                            .change_gc(
                                g,
                                &ChangeGCAux::new()
                                    .foreground(fg)
                                    .line_width(u32::from(*width)),
                            )
                            .map_err(x_err)?;
                        self.conn
                            .poly_line(CoordMode::ORIGIN, d, g, &line)
                            .map_err(x_err)?;
                    }
                }
                Shape::Polygon { points: p, color } => {
                    let pixel = self.pixel(*color)?;
                    let corners = points(p, origin);
                    for (g, d, fg) in [(gc, colour, pixel), (bit, mask, 1)] {
                        self.conn
                            .change_gc(g, &ChangeGCAux::new().foreground(fg))
                            .map_err(x_err)?;
                        self.conn
                            .fill_poly(d, g, PolyShape::COMPLEX, CoordMode::ORIGIN, &corners)
                            .map_err(x_err)?;
                    }
                }
                Shape::Label {
                    x,
                    y,
                    text,
                    color,
                    background,
                } => {
                    let (lw, lh) = label_size(text, self.cell);
                    let (fg, bg) = (self.pixel(*color)?, self.pixel(*background)?);
                    let (lx, ly) = (c16(x - origin.0), c16(y - origin.1));
                    let rect = Rectangle {
                        x: lx,
                        y: ly,
                        width: lw.clamp(1, i32::from(u16::MAX)) as u16,
                        height: lh.clamp(1, i32::from(u16::MAX)) as u16,
                    };
                    let bytes: Vec<u8> = text
                        .bytes()
                        .map(|b| {
                            if b.is_ascii_graphic() || b == b' ' {
                                b
                            } else {
                                b'?'
                            }
                        })
                        .take(255)
                        .collect();
                    let (tx, ty) = (
                        c16(i32::from(lx) + LABEL_PAD),
                        c16(i32::from(ly) + LABEL_PAD + self.cell.1),
                    );
                    for (g, d, f, b) in [(gc, colour, fg, bg), (bit, mask, 1, 1)] {
                        self.conn
                            .change_gc(g, &ChangeGCAux::new().foreground(b))
                            .map_err(x_err)?;
                        self.conn
                            .poly_fill_rectangle(d, g, &[rect])
                            .map_err(x_err)?;
                        self.conn
                            .change_gc(g, &ChangeGCAux::new().foreground(f).background(b))
                            .map_err(x_err)?;
                        self.conn.image_text8(d, g, tx, ty, &bytes).map_err(x_err)?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_cover_lines_polygons_and_labels() {
        let cell = (6, 10, 3);
        assert_eq!(bounds(&Vec::new(), cell), None);
        let line = Shape::Line {
            points: vec![(100, 100), (300, 100)],
            width: 4,
            color: [255, 0, 0],
        };
        assert_eq!(bounds(&vec![line.clone()], cell), Some((97, 97, 207, 7)));
        let label = Shape::Label {
            x: 10,
            y: 20,
            text: "ab".into(),
            color: [0, 0, 0],
            background: [255, 255, 255],
        };
        // 2 cells of 6 and 2 pixels each side; 13 high and 2 each side.
        assert_eq!(bounds(&vec![label], cell), Some((10, 20, 17, 18)));
        let poly = Shape::Polygon {
            points: vec![(0, 0), (0, 21), (16, 15)],
            color: [0, 0, 0],
        };
        assert_eq!(bounds(&vec![poly, line], cell), Some((0, 0, 304, 104)));
    }
}
