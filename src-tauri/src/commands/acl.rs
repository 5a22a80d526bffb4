//! Settings › Security › access control list: which viewer devices may ask
//! for a session at all. Thin: each runs an `AdminOp` where the
//! configuration is and answers with the list as it is now.

use latchkey_core::acl::AccessList;
use latchkey_store::ops;

use super::settings::{admin, typed};
use super::Ctx;
use crate::error::AppResult;

pub async fn list_acl(ctx: &Ctx) -> AppResult<AccessList> {
    typed(admin(ctx, ops::ListAcl {}).await?)
}

pub async fn add_acl_entry(
    ctx: &Ctx,
    fingerprint: String,
    profiles: Vec<String>,
) -> AppResult<AccessList> {
    admin(
        ctx,
        ops::AddAclEntry {
            fingerprint,
            profiles,
        },
    )
    .await?;
    list_acl(ctx).await
}

pub async fn remove_acl_entry(ctx: &Ctx, fingerprint: String) -> AppResult<AccessList> {
    admin(ctx, ops::RemoveAclEntry { fingerprint }).await?;
    list_acl(ctx).await
}

pub async fn set_acl(ctx: &Ctx, on: bool) -> AppResult<AccessList> {
    admin(ctx, ops::SetAcl { on }).await?;
    list_acl(ctx).await
}
