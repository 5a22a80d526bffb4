//! The ID registry the connections use, whichever store keeps it: the
//! embedded SQLite file of a single node ([`crate::db`]) or the Redis that
//! several nodes share ([`crate::cluster::RedisIds`]). Connections only see
//! [`IdRegistry`].

use std::sync::Arc;

use latchkey_core::identity::DevicePublicKey;
use latchkey_core::signal::DeviceId;

use crate::cluster::RedisIds;
use crate::db::IdStore;
use crate::Error;

/// Where the ID <-> key bindings live.
#[derive(Clone)]
pub(crate) enum IdRegistry {
    /// One node: SQLite (blocking, reached through `spawn_blocking`).
    Embedded(Arc<IdStore>),
    /// Several nodes: Redis, bound atomically by a Lua script.
    Redis(RedisIds),
}

impl IdRegistry {
    /// The ID bound to `key`, binding a fresh random one on first sight.
    pub(crate) async fn id_for_key(&self, key: DevicePublicKey) -> Result<DeviceId, Error> {
        match self {
            IdRegistry::Embedded(store) => {
                let store = store.clone();
                tokio::task::spawn_blocking(move || store.id_for_key(&key))
                    .await
                    .map_err(|e| Error::Internal(e.to_string()))?
            }
            IdRegistry::Redis(ids) => ids.id_for_key(&key).await,
        }
    }

    /// Whether some key was ever bound to `id`.
    pub(crate) async fn is_known(&self, id: &DeviceId) -> Result<bool, Error> {
        match self {
            IdRegistry::Embedded(store) => {
                let store = store.clone();
                let id = id.clone();
                tokio::task::spawn_blocking(move || store.is_known(&id))
                    .await
                    .map_err(|e| Error::Internal(e.to_string()))?
            }
            IdRegistry::Redis(ids) => ids.is_known(id).await,
        }
    }
}
