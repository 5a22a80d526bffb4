//! The viewer toolbar's desk toggles: block the host's local input
//! (`block_input`) and privacy mode (`privacy_mode`), on the session's
//! handles (the host refuses without the permission: `permission`).

use super::viewer::session_of;
use super::Ctx;
use crate::error::AppResult;

pub async fn set_block_input(ctx: &Ctx, session_id: String, on: bool) -> AppResult<bool> {
    Ok(session_of(ctx, &session_id)?.block_input().set(on).await?)
}

pub async fn set_lock_on_end(ctx: &Ctx, session_id: String, on: bool) -> AppResult<bool> {
    Ok(session_of(ctx, &session_id)?.lock_on_end().set(on).await?)
}

pub async fn set_privacy_mode(ctx: &Ctx, session_id: String, on: bool) -> AppResult<bool> {
    Ok(session_of(ctx, &session_id)?.privacy_mode().set(on).await?)
}
