//! The viewer toolbar's pen tool: strokes drawn on the host's screen
//! (`whiteboard`) and clearing them, on the session's handle (the host
//! refuses without the permission: `permission`; a stroke off the screen or
//! over the limits: `bad_input`).

use super::viewer::session_of;
use super::Ctx;
use crate::error::AppResult;

pub async fn draw(
    ctx: &Ctx,
    session_id: String,
    color: String,
    points: Vec<(i32, i32)>,
    arrow: bool,
) -> AppResult<u32> {
    let strokes = session_of(ctx, &session_id)?
        .whiteboard()
        .draw(&color, points, arrow)
        .await?;
    Ok(u32::try_from(strokes).unwrap_or(u32::MAX))
}

pub async fn clear_drawing(ctx: &Ctx, session_id: String) -> AppResult<()> {
    Ok(session_of(ctx, &session_id)?.whiteboard().clear().await?)
}
