//! The viewer window's system panel: the host's system information, from
//! the session's `system_info` handle (the host refuses without the
//! permission: `permission`).

use latchkey_core::feature::system_info::SystemInfo;

use super::viewer::session_of;
use super::Ctx;
use crate::error::AppResult;

pub async fn system_info(ctx: &Ctx, session_id: String) -> AppResult<SystemInfo> {
    Ok(session_of(ctx, &session_id)?.system_info().get().await?)
}
