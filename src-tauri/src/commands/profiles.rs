//! The permission profile editor: profiles, their 14 permissions, unattended
//! access and each profile's password (with the live strength verdict).

use serde::Serialize;
use ts_rs::TS;

use latchkey_core::password_policy::Strength;
use latchkey_core::permission::Permission;
use latchkey_core::settings::ProfileSummary;
use latchkey_store::ops;

use super::settings::{admin, typed};
use super::Ctx;
use crate::error::AppResult;

/// A permission as the editor shows it.
#[derive(Debug, Serialize, TS)]
pub struct PermissionInfo {
    /// Its name on the wire.
    pub id: Permission,
    /// A short label.
    pub label: String,
    /// One line on what granting it allows.
    pub description: String,
}

pub async fn list_permissions(_ctx: &Ctx) -> AppResult<Vec<PermissionInfo>> {
    Ok(Permission::ALL
        .iter()
        .map(|&p| {
            let (label, description) = p.describe();
            PermissionInfo {
                id: p,
                label: label.into(),
                description: description.into(),
            }
        })
        .collect())
}

pub async fn create_profile(
    ctx: &Ctx,
    name: String,
    copy_from: Option<String>,
) -> AppResult<ProfileSummary> {
    typed(admin(ctx, ops::CreateProfile { name, copy_from }).await?)
}

pub async fn rename_profile(ctx: &Ctx, name: String, new_name: String) -> AppResult<()> {
    admin(ctx, ops::RenameProfile { name, new_name })
        .await
        .map(|_| ())
}

pub async fn delete_profile(ctx: &Ctx, name: String) -> AppResult<u32> {
    typed(admin(ctx, ops::DeleteProfile { name }).await?)
}

pub async fn set_profile_enabled(ctx: &Ctx, name: String, enabled: bool) -> AppResult<()> {
    admin(ctx, ops::SetProfileEnabled { name, enabled })
        .await
        .map(|_| ())
}

pub async fn set_permission(
    ctx: &Ctx,
    profile: String,
    permission: Permission,
    on: bool,
) -> AppResult<()> {
    let permission = permission.name().to_string();
    admin(
        ctx,
        ops::SetPermission {
            profile,
            permission,
            on,
        },
    )
    .await
    .map(|_| ())
}

pub async fn set_default_profile(ctx: &Ctx, name: String) -> AppResult<()> {
    admin(ctx, ops::SetDefaultProfile { name })
        .await
        .map(|_| ())
}

pub async fn set_unattended(ctx: &Ctx, profile: String, on: bool) -> AppResult<()> {
    admin(ctx, ops::SetUnattended { profile, on })
        .await
        .map(|_| ())
}

pub async fn password_strength(
    ctx: &Ctx,
    profile: String,
    password: String,
) -> AppResult<Strength> {
    typed(admin(ctx, ops::PasswordStrength { profile, password }).await?)
}

pub async fn set_password(ctx: &Ctx, profile: String, password: String) -> AppResult<u32> {
    typed(admin(ctx, ops::SetPassword { profile, password }).await?)
}

pub async fn clear_password(ctx: &Ctx, profile: String) -> AppResult<()> {
    admin(ctx, ops::ClearPassword { profile }).await.map(|_| ())
}
