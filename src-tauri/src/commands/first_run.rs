//! The main window's secret-store choice (see [`crate::first_run`]): what
//! was found, the person's choice, and quitting.

use latchkey_core::ErrorCode;

use super::Ctx;
use crate::error::{AppError, AppResult};
use crate::first_run::{self, StoreChoice, StoreProblem};

pub async fn store_problem(ctx: &Ctx) -> AppResult<Option<StoreProblem>> {
    let mut checked = ctx.state().checked.subscribe();
    let _ = checked.wait_for(|done| *done).await;
    Ok(first_run::problem(&ctx.app))
}

pub async fn choose_secret_store(
    ctx: &Ctx,
    choice: StoreChoice,
) -> AppResult<Option<StoreProblem>> {
    first_run::resolve(&ctx.app, choice)
        .await
        .map_err(|m| AppError::new(ErrorCode::Local, m))
}

pub async fn quit_app(ctx: &Ctx) -> AppResult<()> {
    ctx.app.exit(0);
    Ok(())
}
