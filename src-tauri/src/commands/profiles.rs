//! The permission profile editor: profiles, their 14 permissions, unattended
//! access and each profile's password (with the live strength verdict).

use serde::Serialize;
use ts_rs::TS;
use zeroize::Zeroizing;

use latchkey_core::password_policy::Strength;
use latchkey_core::permission::Permission;
use latchkey_core::settings::ProfileSummary;
use latchkey_store::ops;

use super::settings::{count, with_config};
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
    with_config(ctx, true, move |c| {
        Ok(ops::create_profile(c, &name, copy_from.as_deref())?)
    })
    .await
}

pub async fn rename_profile(ctx: &Ctx, name: String, new_name: String) -> AppResult<()> {
    with_config(ctx, true, move |c| {
        Ok(ops::rename_profile(c, &name, &new_name)?)
    })
    .await
}

pub async fn delete_profile(ctx: &Ctx, name: String) -> AppResult<u32> {
    with_config(ctx, true, move |c| {
        Ok(count(ops::delete_profile(c, &name)?))
    })
    .await
}

pub async fn set_profile_enabled(ctx: &Ctx, name: String, enabled: bool) -> AppResult<()> {
    with_config(ctx, true, move |c| {
        Ok(ops::set_profile_enabled(c, &name, enabled)?)
    })
    .await
}

pub async fn set_permission(
    ctx: &Ctx,
    profile: String,
    permission: Permission,
    on: bool,
) -> AppResult<()> {
    with_config(ctx, true, move |c| {
        Ok(ops::set_permission(c, &profile, permission.name(), on)?)
    })
    .await
}

pub async fn set_default_profile(ctx: &Ctx, name: String) -> AppResult<()> {
    with_config(ctx, true, move |c| Ok(ops::set_default_profile(c, &name)?)).await
}

pub async fn set_unattended(ctx: &Ctx, profile: String, on: bool) -> AppResult<()> {
    with_config(ctx, true, move |c| {
        ops::set_unattended(c, Some(&profile), on)?;
        Ok(())
    })
    .await
}

pub async fn password_strength(
    ctx: &Ctx,
    profile: String,
    password: String,
) -> AppResult<Strength> {
    let password = Zeroizing::new(password);
    with_config(ctx, false, move |c| {
        Ok(ops::password_strength(c, Some(&profile), &password))
    })
    .await
}

pub async fn set_password(ctx: &Ctx, profile: String, password: String) -> AppResult<u32> {
    let password = Zeroizing::new(password);
    with_config(ctx, true, move |c| {
        Ok(count(ops::set_password(c, Some(&profile), &password)?))
    })
    .await
}

pub async fn clear_password(ctx: &Ctx, profile: String) -> AppResult<()> {
    with_config(ctx, true, move |c| {
        ops::clear_password(c, Some(&profile))?;
        Ok(())
    })
    .await
}
